import { FormEvent, useState } from "react";
import { useNavigate } from "react-router-dom";
import YAML from "yaml";
import { api } from "../api";
import { ErrorBox } from "./common";

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** Argo CD's "New app" form, or the whole Application as YAML; the server validates against the
 * project and its message is shown as is. */
export function CreateApp() {
  const navigate = useNavigate();
  const [asYaml, setAsYaml] = useState(false);
  const [form, setForm] = useState({
    name: "",
    project: "default",
    repoURL: "",
    targetRevision: "HEAD",
    path: "",
    server: "https://kubernetes.default.svc",
    namespace: "",
    automated: false,
    prune: false,
    selfHeal: false,
    createNamespace: false,
  });
  const [yamlText, setYamlText] = useState("");
  const [error, setError] = useState("");
  const set = (key: keyof typeof form, value: string | boolean) => setForm({ ...form, [key]: value });

  const build = (): Record<string, unknown> => ({
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Application",
    metadata: { name: form.name },
    spec: {
      project: form.project,
      source: { repoURL: form.repoURL, targetRevision: form.targetRevision, path: form.path },
      destination: { server: form.server, namespace: form.namespace },
      syncPolicy: {
        ...(form.automated ? { automated: { prune: form.prune, selfHeal: form.selfHeal } } : {}),
        ...(form.createNamespace ? { syncOptions: ["CreateNamespace=true"] } : {}),
      },
    },
  });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    let app: Record<string, unknown>;
    if (asYaml) {
      try {
        app = YAML.parse(yamlText) as Record<string, unknown>;
      } catch (err) {
        setError(`YAML: ${(err as Error).message}`);
        return;
      }
    } else {
      const missing = (["name", "repoURL", "path", "server", "namespace"] as const).filter((k) => !form[k]);
      if (missing.length) {
        setError(`Required: ${missing.join(", ")}`);
        return;
      }
      if (!NAME.test(form.name)) {
        setError("Name must be lower-case letters, digits, '-' or '.', starting and ending with a letter or digit");
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

  const field = (key: keyof typeof form, label: string) => (
    <label>
      {label}
      <input name={key} value={String(form[key])} onChange={(e) => set(key, e.target.value)} />
    </label>
  );
  const box = (key: keyof typeof form, label: string) => (
    <label>
      <input type="checkbox" name={key} checked={Boolean(form[key])} onChange={(e) => set(key, e.target.checked)} /> {label}
    </label>
  );
  return (
    <div className="page">
      <h2>New application</h2>
      <button
        onClick={() => {
          if (!asYaml) setYamlText(YAML.stringify(build()));
          setAsYaml(!asYaml);
        }}
      >
        {asYaml ? "Edit as form" : "Edit as YAML"}
      </button>
      <form onSubmit={submit} className="form">
        {asYaml ? (
          <textarea className="yaml" value={yamlText} onChange={(e) => setYamlText(e.target.value)} aria-label="Application YAML" />
        ) : (
          <>
            {field("name", "Application name")}
            {field("project", "Project")}
            {field("repoURL", "Repository URL")}
            {field("targetRevision", "Revision")}
            {field("path", "Path")}
            {field("server", "Cluster URL")}
            {field("namespace", "Namespace")}
            {box("automated", "Automated sync")}
            {form.automated && box("prune", "Prune resources")}
            {form.automated && box("selfHeal", "Self heal")}
            {box("createNamespace", "Auto-create namespace")}
          </>
        )}
        <ErrorBox error={error} />
        <button type="submit" className="primary">
          Create
        </button>
      </form>
    </div>
  );
}
