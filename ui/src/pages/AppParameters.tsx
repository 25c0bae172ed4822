// The Parameters tab (Argo CD's "Parameters" panel): a form over each source's Helm, Kustomize or
// Directory options. It only edits the Application's spec and saves it through the one write path
// the Edit spec tab uses (PUT .../spec), so every rule stays the server's: its validation message
// is shown as is.
import { useEffect, useState } from "react";
import YAML from "yaml";
import { api } from "../api";
import { ErrorBox } from "./common";
import type { FullApp } from "./AppDetail";

type Source = Record<string, unknown> & {
  repoURL?: string;
  path?: string;
  chart?: string;
  targetRevision?: string;
  helm?: Record<string, unknown>;
  kustomize?: Record<string, unknown>;
  directory?: Record<string, unknown>;
};
/** A Helm parameter row (Jsonnet TLAs/extVars are not offered: the repo server does not render Jsonnet). */
type Row = { name: string; value: string; flag: boolean };
type Draft = {
  type: string;
  releaseName: string;
  valueFiles: string;
  parameters: Row[];
  values: string;
  valuesAsObject: boolean;
  images: string;
  namePrefix: string;
  nameSuffix: string;
  namespace: string;
  commonLabels: string;
  commonAnnotations: string;
  replicas: string;
  recurse: boolean;
  include: string;
  exclude: string;
};

/** Argo CD's RepoAppDetailsResponse: what the source's repository offers (server: argosy.repo.appdetails). */
type Details = {
  type?: string;
  helm?: { valueFiles?: string[]; values?: string; parameters?: { name: string; value: string }[] };
  kustomize?: { images?: string[] };
};

/** Helm, Kustomize or Directory: the controller's finding (status.sourceTypes) first, then the spec's fields. */
export function sourceType(app: FullApp, source: Source, index: number): string {
  const status = app.status as { sourceType?: string; sourceTypes?: string[] } | undefined;
  const found = app.spec.sources ? status?.sourceTypes?.[index] : status?.sourceType;
  if (found === "Helm" || found === "Kustomize" || found === "Directory") return found;
  if (source.chart || source.helm) return "Helm";
  if (source.kustomize) return "Kustomize";
  return "Directory";
}

const lines = (items: unknown): string => ((items as string[] | undefined) ?? []).join("\n");
const split = (text: string): string[] => text.split("\n").map((l) => l.trim()).filter(Boolean);
const pairs = (map: unknown): string =>
  Object.entries((map as Record<string, string> | undefined) ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join("\n");

/** "key=value" lines to a map; a line without "=" is an error naming it. */
function toMap(text: string, field: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const line of split(text)) {
    const at = line.indexOf("=");
    if (at <= 0) throw new Error(`${field}: "${line}" is not key=value`);
    out[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return Object.keys(out).length ? out : undefined;
}

function draftOf(app: FullApp, source: Source, index: number): Draft {
  const helm = source.helm ?? {};
  const kustomize = source.kustomize ?? {};
  const directory = source.directory ?? {};
  const rows = (items: { name: string; value: string; forceString?: boolean }[] | undefined): Row[] =>
    (items ?? []).map((p) => ({ name: p.name, value: String(p.value ?? ""), flag: Boolean(p.forceString) }));
  const valuesObject = helm.valuesObject;
  return {
    type: sourceType(app, source, index),
    releaseName: String(helm.releaseName ?? ""),
    valueFiles: lines(helm.valueFiles),
    parameters: rows(helm.parameters as Row[] | undefined),
    values: valuesObject !== undefined ? YAML.stringify(valuesObject) : String(helm.values ?? ""),
    valuesAsObject: valuesObject !== undefined || helm.values === undefined,
    images: lines(kustomize.images),
    namePrefix: String(kustomize.namePrefix ?? ""),
    nameSuffix: String(kustomize.nameSuffix ?? ""),
    namespace: String(kustomize.namespace ?? ""),
    commonLabels: pairs(kustomize.commonLabels),
    commonAnnotations: pairs(kustomize.commonAnnotations),
    replicas: ((kustomize.replicas as { name: string; count: number | string }[] | undefined) ?? []).map((r) => `${r.name}=${r.count}`).join("\n"),
    recurse: Boolean(directory.recurse),
    include: String(directory.include ?? ""),
    exclude: String(directory.exclude ?? ""),
  };
}

/** Sets `key` of `obj` to `value`, or removes it when empty, so the spec keeps no empty fields. */
function put(obj: Record<string, unknown>, key: string, value: unknown): void {
  const empty = value === undefined || value === "" || value === false || (Array.isArray(value) && !value.length);
  if (empty) delete obj[key];
  else obj[key] = value;
}

/** The source with the draft's fields applied; other fields (repoURL, ref, plugin, ...) are kept. */
function applyDraft(source: Source, d: Draft, where: string): Source {
  const out: Source = structuredClone(source);
  const rows = (items: Row[]) =>
    items.filter((r) => r.name.trim()).map((r) => ({ name: r.name.trim(), value: r.value, ...(r.flag ? { forceString: true } : {}) }));
  if (d.type === "Helm") {
    const helm: Record<string, unknown> = { ...(out.helm ?? {}) };
    put(helm, "releaseName", d.releaseName.trim());
    put(helm, "valueFiles", split(d.valueFiles));
    put(helm, "parameters", rows(d.parameters));
    delete helm.values;
    delete helm.valuesObject;
    if (d.values.trim()) {
      let parsed: unknown;
      try {
        parsed = YAML.parse(d.values);
      } catch (err) {
        throw new Error(`${where} Helm values: not YAML (${(err as Error).message})`);
      }
      if (d.valuesAsObject) helm.valuesObject = parsed;
      else helm.values = d.values;
    }
    put(out, "helm", Object.keys(helm).length ? helm : undefined);
  } else if (d.type === "Kustomize") {
    const k: Record<string, unknown> = { ...(out.kustomize ?? {}) };
    put(k, "images", split(d.images));
    put(k, "namePrefix", d.namePrefix.trim());
    put(k, "nameSuffix", d.nameSuffix.trim());
    put(k, "namespace", d.namespace.trim());
    put(k, "commonLabels", toMap(d.commonLabels, `${where} common labels`));
    put(k, "commonAnnotations", toMap(d.commonAnnotations, `${where} common annotations`));
    const replicas = Object.entries(toMap(d.replicas, `${where} replicas`) ?? {}).map(([name, count]) => {
      if (!/^\d+$/.test(count)) throw new Error(`${where} replicas: ${name}=${count} is not a whole number`);
      return { name, count: Number(count) };
    });
    put(k, "replicas", replicas);
    put(out, "kustomize", Object.keys(k).length ? k : undefined);
  } else {
    const dir: Record<string, unknown> = { ...(out.directory ?? {}) };
    put(dir, "recurse", d.recurse);
    put(dir, "include", d.include.trim());
    put(dir, "exclude", d.exclude.trim());
    put(out, "directory", Object.keys(dir).length ? dir : undefined);
  }
  return out;
}

export function Parameters({ app, mayUpdate, onDone }: { app: FullApp; mayUpdate: boolean; onDone: (m: string) => void }) {
  const multi = Array.isArray(app.spec.sources);
  const sources = (multi ? (app.spec.sources as Source[]) : [app.spec.source as Source]).filter(Boolean);
  const [drafts, setDrafts] = useState<Draft[]>(() => sources.map((s, i) => draftOf(app, s, i)));
  const [error, setError] = useState("");
  const [saving, setSaving] = useState(false);
  const [details, setDetails] = useState<(Details | string)[]>([]);
  useEffect(() => {
    // Asked once per opening, for the saved sources (the server only answers for the app's own repositories).
    Promise.all(
      sources.map((s) =>
        api<Details>("POST", `api/v1/repositories/${encodeURIComponent(s.repoURL ?? "")}/appdetails`, {
          body: { source: s, appName: app.metadata.name, appNamespace: app.metadata.namespace },
        }).catch((err: Error) => err.message),
      ),
    ).then((answers) => {
      setDetails(answers);
      // the repository's own answer decides the form when the spec and status do not say
      setDrafts((current) =>
        current.map((d, i) => {
          const found = answers[i];
          const type = typeof found === "string" ? "" : found.type;
          const declared = sources[i].chart || sources[i].helm || sources[i].kustomize || sources[i].directory;
          return type && !declared && type !== d.type ? { ...d, type } : d;
        }),
      );
    });
  }, [app.metadata.name]);
  const edit = (i: number, patch: Partial<Draft>) => setDrafts(drafts.map((d, j) => (j === i ? { ...d, ...patch } : d)));

  const save = async () => {
    setError("");
    let spec: Record<string, unknown>;
    try {
      const updated = sources.map((s, i) => applyDraft(s, drafts[i], multi ? `source ${i + 1}:` : "source:"));
      spec = { ...app.spec, ...(multi ? { sources: updated } : { source: updated[0] }) };
    } catch (err) {
      setError((err as Error).message);
      return;
    }
    setSaving(true);
    try {
      await api("PUT", `api/v1/applications/${app.metadata.name}/spec`, { body: spec });
      onDone("Parameters saved");
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setSaving(false);
    }
  };

  if (!sources.length) return <div className="muted">This application has no source.</div>;
  return (
    <div className="parameters" data-testid="parameters">
      {sources.map((s, i) => (
        <fieldset key={i} data-testid="source-parameters" data-type={drafts[i].type} disabled={!mayUpdate}>
          <legend>
            {multi ? `Source ${i + 1}: ` : ""}
            {drafts[i].type} — {s.repoURL} {s.chart ? `chart ${s.chart}` : s.path || "."} @ {s.targetRevision || "HEAD"}
          </legend>
          {typeof details[i] === "string" && <div className="muted">The repository's details are not available: {details[i] as string}</div>}
          {drafts[i].type === "Helm" && <HelmForm d={drafts[i]} set={(p) => edit(i, p)} details={details[i]} />}
          {drafts[i].type === "Kustomize" && <KustomizeForm d={drafts[i]} set={(p) => edit(i, p)} details={details[i]} />}
          {drafts[i].type === "Directory" && <DirectoryForm d={drafts[i]} set={(p) => edit(i, p)} />}
        </fieldset>
      ))}
      <ErrorBox error={error} />
      {mayUpdate && (
        <button className="primary" onClick={save} disabled={saving}>
          Save parameters
        </button>
      )}
    </div>
  );
}

type FormProps = { d: Draft; set: (patch: Partial<Draft>) => void; details?: Details | string };
const known = (details: Details | string | undefined): Details => (typeof details === "object" ? details : {});

function Text({ label, value, onChange, rows }: { label: string; value: string; onChange: (v: string) => void; rows?: number }) {
  return (
    <label>
      {label}
      {rows ? (
        <textarea rows={rows} value={value} onChange={(e) => onChange(e.target.value)} />
      ) : (
        <input value={value} onChange={(e) => onChange(e.target.value)} />
      )}
    </label>
  );
}

function Rows({ title, rows, set, defaults }: { title: string; rows: Row[]; set: (rows: Row[]) => void; defaults: Map<string, string> }) {
  const change = (i: number, patch: Partial<Row>) => set(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <div className="param-rows">
      <b>{title}</b>
      {rows.map((r, i) => (
        <div key={i} className="param-row" data-testid="param-row" data-name={r.name}>
          <input aria-label={`${title} name`} value={r.name} onChange={(e) => change(i, { name: e.target.value })} />
          <input aria-label={`${title} value`} value={r.value} onChange={(e) => change(i, { value: e.target.value })} />
          <label className="inline">
            <input type="checkbox" checked={r.flag} onChange={(e) => change(i, { flag: e.target.checked })} /> forceString
          </label>
          <button onClick={() => set(rows.filter((_, j) => j !== i))}>Remove</button>
          {defaults.has(r.name) && <span className="muted" data-testid="chart-default">chart default: {defaults.get(r.name)}</span>}
        </div>
      ))}
      <button onClick={() => set([...rows, { name: "", value: "", flag: false }])}>Add {title.toLowerCase()}</button>
    </div>
  );
}

function HelmForm({ d, set, details }: FormProps) {
  const helm = known(details).helm ?? {};
  const defaults = new Map((helm.parameters ?? []).map((p) => [p.name, p.value]));
  const chosen = split(d.valueFiles);
  const toggle = (file: string) =>
    set({ valueFiles: (chosen.includes(file) ? chosen.filter((f) => f !== file) : [...chosen, file]).join("\n") });
  const overridden = new Set(d.parameters.map((p) => p.name));
  return (
    <>
      <Text label="Release name" value={d.releaseName} onChange={(v) => set({ releaseName: v })} />
      {(helm.valueFiles ?? []).length > 0 && (
        <div className="param-rows" data-testid="chart-value-files">
          <b>Values files in the chart</b>
          {(helm.valueFiles ?? []).map((f) => (
            <label className="inline" key={f}>
              <input type="checkbox" checked={chosen.includes(f)} onChange={() => toggle(f)} /> {f}
            </label>
          ))}
        </div>
      )}
      <Text label="Values files (one per line, relative to the chart)" rows={3} value={d.valueFiles} onChange={(v) => set({ valueFiles: v })} />
      <Rows title="Parameter" rows={d.parameters} set={(parameters) => set({ parameters })} defaults={defaults} />
      {defaults.size > 0 && (
        <details data-testid="chart-defaults">
          <summary>Chart defaults ({defaults.size})</summary>
          <table className="table">
            <tbody>
              {[...defaults].map(([name, value]) => (
                <tr key={name} data-name={name}>
                  <td>{name}</td>
                  <td>{value}</td>
                  <td>
                    {!overridden.has(name) && (
                      <button onClick={() => set({ parameters: [...d.parameters, { name, value, flag: false }] })}>Override</button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
      <Text label="Values (YAML)" rows={8} value={d.values} onChange={(v) => set({ values: v })} />
      {helm.values && (
        <details>
          <summary>The chart's values.yaml</summary>
          <pre className="yaml">{helm.values}</pre>
        </details>
      )}
    </>
  );
}

function KustomizeForm({ d, set, details }: FormProps) {
  const images = known(details).kustomize?.images ?? [];
  return (
    <>
      {images.length > 0 && (
        <div className="muted" data-testid="base-images">
          Images in the kustomization: {images.join(", ")}
        </div>
      )}
      <Text label="Images (one per line: name=newName:tag or name:tag)" rows={3} value={d.images} onChange={(v) => set({ images: v })} />
      <Text label="Name prefix" value={d.namePrefix} onChange={(v) => set({ namePrefix: v })} />
      <Text label="Name suffix" value={d.nameSuffix} onChange={(v) => set({ nameSuffix: v })} />
      <Text label="Namespace" value={d.namespace} onChange={(v) => set({ namespace: v })} />
      <Text label="Common labels (key=value per line)" rows={2} value={d.commonLabels} onChange={(v) => set({ commonLabels: v })} />
      <Text label="Common annotations (key=value per line)" rows={2} value={d.commonAnnotations} onChange={(v) => set({ commonAnnotations: v })} />
      <Text label="Replicas (workload=count per line)" rows={2} value={d.replicas} onChange={(v) => set({ replicas: v })} />
    </>
  );
}

function DirectoryForm({ d, set }: FormProps) {
  return (
    <>
      <label className="inline">
        <input type="checkbox" checked={d.recurse} onChange={(e) => set({ recurse: e.target.checked })} /> Recurse into subdirectories
      </label>
      <Text label="Include (glob)" value={d.include} onChange={(v) => set({ include: v })} />
      <Text label="Exclude (glob)" value={d.exclude} onChange={(v) => set({ exclude: v })} />
    </>
  );
}
