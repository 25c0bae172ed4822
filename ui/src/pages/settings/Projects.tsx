import { useState } from "react";
import { ErrorBox } from "../common";
import { ProjectEditor } from "./ProjectEditor";
import { ProjectTokens } from "./ProjectTokens";
import { useCan, useCanEach } from "../../permissions";
import { useList } from "./shared";

export type GroupKind = { group?: string; kind: string };
export type SyncWindow = {
  kind?: string;
  schedule?: string;
  duration?: string;
  applications?: string[];
  namespaces?: string[];
  clusters?: string[];
  manualSync?: boolean;
  timeZone?: string;
};
export type Role = { name: string; description?: string; policies?: string[]; groups?: string[]; jwtTokens?: { iat: number; id?: string; exp?: number }[] };
export type ProjectSpec = {
  description?: string;
  sourceRepos?: string[];
  destinations?: { server?: string; name?: string; namespace?: string }[];
  clusterResourceWhitelist?: GroupKind[];
  clusterResourceBlacklist?: GroupKind[];
  namespaceResourceWhitelist?: GroupKind[];
  namespaceResourceBlacklist?: GroupKind[];
  syncWindows?: SyncWindow[];
  roles?: Role[];
  [other: string]: unknown;
};
export type Project = { metadata: { name: string }; spec: ProjectSpec };

/** Projects: the list, a form to create or edit one (the server validates, sync windows included), role tokens. */
export function Projects() {
  const [projects, listError, reload] = useList<Project>("api/v1/projects");
  const mayCreate = useCan("projects", "create");
  const mayUpdate = useCanEach("projects", "update", projects.map((p) => p.metadata.name)); // a project's object is its name
  const [editing, setEditing] = useState<Project | "new" | null>(null);
  const [tokensOf, setTokensOf] = useState("");
  const done = () => (setEditing(null), reload());
  const shown = projects.find((p) => p.metadata.name === tokensOf);
  return (
    <section>
      <h2>Projects</h2>
      <ErrorBox error={listError} />
      <table className="table" data-testid="projects">
        <thead>
          <tr>
            <th>Name</th>
            <th>Source repositories</th>
            <th>Destinations</th>
            <th>Sync windows</th>
            <th>Roles</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {projects.map((p) => (
            <tr key={p.metadata.name} data-project={p.metadata.name}>
              <td>{p.metadata.name}</td>
              <td>{(p.spec.sourceRepos ?? []).join(", ")}</td>
              <td>{(p.spec.destinations ?? []).map((d) => `${d.name || d.server}/${d.namespace}`).join(", ")}</td>
              <td>{(p.spec.syncWindows ?? []).map((w) => `${w.kind} ${w.schedule} ${w.duration}`).join("; ")}</td>
              <td>{(p.spec.roles ?? []).map((r) => r.name).join(", ")}</td>
              <td>
                {mayUpdate(p.metadata.name) && <button onClick={() => setEditing(p)}>Edit</button>}{" "}
                {/* creating or deleting a role's token is `projects, update` on the project, as the server enforces */}
                {mayUpdate(p.metadata.name) && (p.spec.roles ?? []).length > 0 && <button onClick={() => setTokensOf(p.metadata.name)}>Role tokens</button>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {mayCreate && editing === null && (
        <button className="primary" onClick={() => setEditing("new")}>
          New project
        </button>
      )}
      {editing !== null && (
        <ProjectEditor key={editing === "new" ? "" : editing.metadata.name} project={editing === "new" ? null : editing} onDone={done} />
      )}
      {shown && <ProjectTokens project={shown} mayUpdate={mayUpdate(shown.metadata.name)} onChange={reload} onClose={() => setTokensOf("")} />}
    </section>
  );
}
