import { useState } from "react";
import { api } from "../../api";
import { ErrorBox } from "../common";
import type { GroupKind, Project, ProjectSpec, Role, SyncWindow } from "./Projects";
import { attempt, lines } from "./shared";

// Lists are edited as text, one entry a line; the server validates the result and its message is shown.
const kinds = (list?: GroupKind[]) => (list ?? []).map((r) => (r.group ? `${r.group}/${r.kind}` : r.kind)).join("\n");
const unkinds = (text: string): GroupKind[] =>
  lines(text).map((l) => (l.includes("/") ? { group: l.slice(0, l.indexOf("/")), kind: l.slice(l.indexOf("/") + 1) } : { group: "", kind: l }));
const dests = (spec: ProjectSpec) => (spec.destinations ?? []).map((d) => `${d.server || d.name} ${d.namespace ?? ""}`.trim()).join("\n");
const undests = (text: string) =>
  lines(text).map((l) => {
    const [target, namespace = "*"] = l.split(/\s+/);
    return target.includes("://") ? { server: target, namespace } : { name: target, namespace };
  });

const RESOURCE_LISTS = [
  ["clusterResourceWhitelist", "Cluster resources allowed"],
  ["clusterResourceBlacklist", "Cluster resources denied"],
  ["namespaceResourceWhitelist", "Namespace resources allowed"],
  ["namespaceResourceBlacklist", "Namespace resources denied"],
] as const;

type Texts = Record<string, string>;
const clean = (list?: string[]) => (list ?? []).map((s) => s.trim()).filter(Boolean);

/** Create (`POST /api/v1/projects`) or edit (`PUT /api/v1/projects/{name}`) a project; fields it does not show are kept. */
export function ProjectEditor({ project, onDone }: { project: Project | null; onDone: () => void }) {
  const spec = project?.spec ?? {};
  const [name, setName] = useState(project?.metadata.name ?? "");
  const [texts, setTexts] = useState<Texts>({
    description: spec.description ?? "",
    sourceRepos: (spec.sourceRepos ?? []).join("\n"),
    destinations: dests(spec),
    ...Object.fromEntries(RESOURCE_LISTS.map(([key]) => [key, kinds(spec[key])])),
  });
  const [windows, setWindows] = useState<SyncWindow[]>(spec.syncWindows ?? []);
  const [roles, setRoles] = useState<Role[]>(spec.roles ?? []);
  const [error, setError] = useState("");
  const text = (key: string) => ({ value: texts[key], onChange: (e: { target: { value: string } }) => setTexts({ ...texts, [key]: e.target.value }) });

  const save = () => {
    const newSpec: ProjectSpec = {
      ...spec,
      description: texts.description,
      sourceRepos: lines(texts.sourceRepos),
      destinations: undests(texts.destinations),
      ...Object.fromEntries(RESOURCE_LISTS.map(([key]) => [key, unkinds(texts[key])])),
      // Entries are kept as typed while editing (so a comma or a new line can be typed) and trimmed here.
      syncWindows: windows.map((w) => ({ ...w, applications: clean(w.applications), namespaces: clean(w.namespaces), clusters: clean(w.clusters) })),
      roles: roles.map((r) => ({ ...r, policies: clean(r.policies), groups: clean(r.groups) })),
    };
    const body = { project: { metadata: { name }, spec: newSpec } };
    return attempt(setError, () =>
      project ? api("PUT", `api/v1/projects/${encodeURIComponent(name)}`, { body }) : api("POST", "api/v1/projects", { body }),
    ).then((ok) => ok && onDone());
  };
  const setWindow = (i: number, w: SyncWindow) => setWindows(windows.map((x, j) => (j === i ? w : x)));
  const setRole = (i: number, r: Role) => setRoles(roles.map((x, j) => (j === i ? r : x)));
  const csv = (list?: string[]) => (list ?? []).join(",");
  const uncsv = (t: string) => t.split(",");

  return (
    <div className="form project-editor" data-testid="project-editor">
      <h3>{project ? `Edit project ${name}` : "New project"}</h3>
      <label>
        Name
        <input value={name} disabled={!!project} onChange={(e) => setName(e.target.value)} aria-label="Project name" />
      </label>
      <label>
        Description
        <input {...text("description")} />
      </label>
      <label>
        Source repositories (one a line, * for any)
        <textarea rows={2} {...text("sourceRepos")} />
      </label>
      <label>
        Destinations (server URL or cluster name, then namespace; one a line)
        <textarea rows={2} {...text("destinations")} placeholder="https://kubernetes.default.svc team-a" />
      </label>
      {RESOURCE_LISTS.map(([key, label]) => (
        <label key={key}>
          {label} (group/Kind or Kind, one a line)
          <textarea rows={2} {...text(key)} />
        </label>
      ))}
      <h4>Sync windows</h4>
      <table className="table" data-testid="sync-windows">
        <thead>
          <tr>
            <th>Kind</th>
            <th>Schedule</th>
            <th>Duration</th>
            <th>Applications</th>
            <th>Namespaces</th>
            <th>Clusters</th>
            <th>Manual sync</th>
            <th>Time zone</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {windows.map((w, i) => (
            <tr key={i}>
              <td>
                <select value={w.kind ?? "allow"} aria-label="Window kind" onChange={(e) => setWindow(i, { ...w, kind: e.target.value })}>
                  <option>allow</option>
                  <option>deny</option>
                </select>
              </td>
              <td>
                <input value={w.schedule ?? ""} size={12} aria-label="Window schedule" onChange={(e) => setWindow(i, { ...w, schedule: e.target.value })} />
              </td>
              <td>
                <input value={w.duration ?? ""} size={4} aria-label="Window duration" onChange={(e) => setWindow(i, { ...w, duration: e.target.value })} />
              </td>
              <td>
                <input value={csv(w.applications)} size={8} aria-label="Window applications" onChange={(e) => setWindow(i, { ...w, applications: uncsv(e.target.value) })} />
              </td>
              <td>
                <input value={csv(w.namespaces)} size={8} aria-label="Window namespaces" onChange={(e) => setWindow(i, { ...w, namespaces: uncsv(e.target.value) })} />
              </td>
              <td>
                <input value={csv(w.clusters)} size={8} aria-label="Window clusters" onChange={(e) => setWindow(i, { ...w, clusters: uncsv(e.target.value) })} />
              </td>
              <td>
                <input type="checkbox" checked={!!w.manualSync} aria-label="Window manual sync" onChange={(e) => setWindow(i, { ...w, manualSync: e.target.checked })} />
              </td>
              <td>
                <input value={w.timeZone ?? ""} size={8} aria-label="Window time zone" onChange={(e) => setWindow(i, { ...w, timeZone: e.target.value })} />
              </td>
              <td>
                <button onClick={() => setWindows(windows.filter((_, j) => j !== i))}>Delete window</button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div>
        <button onClick={() => setWindows([...windows, { kind: "allow", schedule: "0 22 * * *", duration: "1h", applications: ["*"] }])}>Add sync window</button>
      </div>
      <h4>Roles</h4>
      {roles.map((r, i) => (
        <div key={i} className="role" data-testid="project-role">
          <div className="toolbar">
            <input value={r.name} aria-label="Role name" placeholder="role name" onChange={(e) => setRole(i, { ...r, name: e.target.value })} />
            <input value={r.description ?? ""} aria-label="Role description" placeholder="description" onChange={(e) => setRole(i, { ...r, description: e.target.value })} />
            <button onClick={() => setRoles(roles.filter((_, j) => j !== i))}>Delete role</button>
          </div>
          <label>
            Policies (p, proj:{name || "<project>"}:{r.name || "<role>"}, applications, get, {name || "<project>"}/*, allow — one a line)
            <textarea rows={2} aria-label="Role policies" value={(r.policies ?? []).join("\n")} onChange={(e) => setRole(i, { ...r, policies: e.target.value.split("\n") })} />
          </label>
          <label>
            Groups (SSO groups, one a line)
            <textarea rows={1} aria-label="Role groups" value={(r.groups ?? []).join("\n")} onChange={(e) => setRole(i, { ...r, groups: e.target.value.split("\n") })} />
          </label>
        </div>
      ))}
      <div>
        <button onClick={() => setRoles([...roles, { name: "", policies: [], groups: [] }])}>Add role</button>
      </div>
      <ErrorBox error={error} />
      <div className="toolbar">
        <button className="primary" onClick={save} disabled={!name}>
          {project ? "Save project" : "Create project"}
        </button>
        <button onClick={onDone}>Cancel</button>
      </div>
    </div>
  );
}
