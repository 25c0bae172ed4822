import { FormEvent, lazy, Suspense, useState } from "react";
import { useNavigate } from "react-router-dom";
import YAML from "yaml";
import { api } from "../api";
import { parseYaml } from "../yamlProblems";
import { ErrorBox } from "./common";
import { useList } from "./settings/shared";
import { NO_RETRY, RetryFields, retryProblem, retryStrategy, SyncOptionFields, syncOptionItems } from "./syncFields";

const YamlEditor = lazy(() => import("./YamlEditor"));

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

type Named = { metadata: { name: string } };
type Cluster = { server: string; name: string };
type Repo = { repo: string };

/** Argo CD's "New app" form, or the whole Application as YAML; the server validates against the
 * project and its message is shown as is (and, in the YAML editor, on the line of the field it names).
 * Projects, clusters and repositories are offered from the server's lists; a user who may not list
 * them types the value instead. */
export function CreateApp() {
  const navigate = useNavigate();
  const [asYaml, setAsYaml] = useState(false);
  const [form, setForm] = useState({
    name: "",
    project: "default",
    repoURL: "",
    targetRevision: "HEAD",
    path: "",
    destinationBy: "server" as "server" | "name",
    server: "https://kubernetes.default.svc",
    clusterName: "in-cluster",
    namespace: "",
    automated: false,
    prune: false,
    selfHeal: false,
  });
  const [options, setOptions] = useState<Set<string>>(new Set());
  const [propagation, setPropagation] = useState("foreground");
  const [retry, setRetry] = useState(NO_RETRY);
  const [yamlText, setYamlText] = useState("");
  const [error, setError] = useState("");
  const [projects, projectsError] = useList<Named>("api/v1/projects");
  const [clusters, clustersError] = useList<Cluster>("api/v1/clusters");
  const [repos, reposError] = useList<Repo>("api/v1/repositories");
  // a list the user may not read leaves a text field; why is said, not swallowed
  const listErrors = [
    ["projects", projectsError],
    ["clusters", clustersError],
    ["repositories", reposError],
  ].filter(([, e]) => e);
  const set = (key: keyof typeof form, value: string | boolean) => setForm({ ...form, [key]: value });

  const build = (): Record<string, unknown> => {
    const syncOptions = syncOptionItems(options, propagation);
    return {
      apiVersion: "argoproj.io/v1alpha1",
      kind: "Application",
      metadata: { name: form.name },
      spec: {
        project: form.project,
        source: { repoURL: form.repoURL, targetRevision: form.targetRevision, path: form.path },
        destination: form.destinationBy === "name" ? { name: form.clusterName, namespace: form.namespace } : { server: form.server, namespace: form.namespace },
        syncPolicy: {
          ...(form.automated ? { automated: { prune: form.prune, selfHeal: form.selfHeal } } : {}),
          ...(syncOptions.length ? { syncOptions } : {}),
          ...(retry.on ? { retry: retryStrategy(retry) } : {}),
        },
      },
    };
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    let app: Record<string, unknown>;
    if (asYaml) {
      const parsed = parseYaml(yamlText);
      if ("error" in parsed) {
        setError(parsed.error); // also marked on its line
        return;
      }
      app = parsed.value as Record<string, unknown>;
    } else {
      const destination = form.destinationBy === "name" ? "clusterName" : "server";
      const missing = (["name", "project", "repoURL", "path", destination, "namespace"] as const).filter((k) => !form[k]);
      if (missing.length) {
        setError(`Required: ${missing.join(", ")}`);
        return;
      }
      if (!NAME.test(form.name)) {
        setError("Name must be lower-case letters, digits, '-' or '.', starting and ending with a letter or digit");
        return;
      }
      const problem = retryProblem(retry);
      if (problem) {
        setError(`Retry: ${problem}`);
        return;
      }
      app = build();
    }
    try {
      const created = await api<{ metadata: { name: string } }>("POST", "api/v1/applications", { body: app });
      navigate(`/applications/${created.metadata.name}`);
    } catch (err) {
      setError((err as Error).message);
    }
  };

  const field = (key: keyof typeof form, label: string, list?: string) => (
    <label>
      {label}
      <input name={key} value={String(form[key])} onChange={(e) => set(key, e.target.value)} list={list} />
    </label>
  );
  const box = (key: keyof typeof form, label: string) => (
    <label>
      <input type="checkbox" name={key} checked={Boolean(form[key])} onChange={(e) => set(key, e.target.checked)} /> {label}
    </label>
  );
  // a select when the server listed the choices, a text field otherwise (no permission to list them)
  const choice = (key: "project" | "server" | "clusterName", label: string, values: string[]) =>
    values.length ? (
      <label>
        {label}
        <select name={key} value={String(form[key])} onChange={(e) => set(key, e.target.value)}>
          {!values.includes(String(form[key])) && <option value={String(form[key])}>{String(form[key]) || "(choose)"}</option>}
          {values.map((v) => (
            <option key={v} value={v}>
              {v}
            </option>
          ))}
        </select>
      </label>
    ) : (
      field(key, label)
    );
  return (
    <div className="page">
      <h2>New application</h2>
      <button
        onClick={() => {
          if (!asYaml) setYamlText(YAML.stringify(build()));
          setAsYaml(!asYaml);
          setError("");
        }}
      >
        {asYaml ? "Edit as form" : "Edit as YAML"}
      </button>
      <form onSubmit={submit} className="form">
        {asYaml ? (
          <Suspense fallback={<div className="yaml">Loading editor…</div>}>
            <YamlEditor value={yamlText} onChange={setYamlText} label="Application YAML" serverError={error} root={[]} />
          </Suspense>
        ) : (
          <>
            <fieldset>
              <legend>General</legend>
              {field("name", "Application name")}
              {choice("project", "Project", projects.map((p) => p.metadata.name))}
              {box("automated", "Automated sync")}
              {form.automated && box("prune", "Prune resources")}
              {form.automated && box("selfHeal", "Self heal")}
            </fieldset>
            <fieldset>
              <legend>Sync options</legend>
              <SyncOptionFields options={options} onChange={setOptions} propagation={propagation} onPropagation={setPropagation} />
              <RetryFields retry={retry} onChange={setRetry} />
            </fieldset>
            <fieldset>
              <legend>Source</legend>
              {field("repoURL", "Repository URL", "known-repos")}
              <datalist id="known-repos">
                {repos.map((r) => (
                  <option key={r.repo} value={r.repo} />
                ))}
              </datalist>
              {field("targetRevision", "Revision")}
              {field("path", "Path")}
            </fieldset>
            <fieldset>
              <legend>Destination</legend>
              <label>
                Cluster by{" "}
                <select name="destinationBy" value={form.destinationBy} onChange={(e) => set("destinationBy", e.target.value)} aria-label="Cluster by">
                  <option value="server">URL</option>
                  <option value="name">name</option>
                </select>
              </label>
              {form.destinationBy === "server"
                ? choice("server", "Cluster URL", clusters.map((c) => c.server))
                : choice("clusterName", "Cluster name", clusters.map((c) => c.name).filter(Boolean))}
              {field("namespace", "Namespace")}
            </fieldset>
          </>
        )}
        {!asYaml && listErrors.length > 0 && (
          <div className="muted" data-testid="list-errors">
            {listErrors.map(([what, e]) => `Could not list ${what} (${e}): type the value.`).join(" ")}
          </div>
        )}
        <ErrorBox error={error} />
        <button type="submit" className="primary">
          Create
        </button>
      </form>
    </div>
  );
}
