import { useEffect, useState } from "react";
import { api } from "../api";
import { ErrorBox } from "./common";
import type { FullApp } from "./AppDetail";

/** Argo CD's sync options, as the checkboxes of its sync panel name them. */
const OPTIONS: [string, string][] = [
  ["Validate=false", "Skip schema validation"],
  ["CreateNamespace=true", "Auto-create namespace"],
  ["ApplyOutOfSyncOnly=true", "Apply out of sync only"],
  ["RespectIgnoreDifferences=true", "Respect ignore differences"],
  ["ServerSideApply=true", "Server-side apply"],
  ["PruneLast=true", "Prune last"],
  ["Replace=true", "Replace"],
];

type Window = { kind?: string; schedule?: string; duration?: string; manualSync?: boolean };

export function SyncPanel({ app, onClose, onStarted }: { app: FullApp; onClose: () => void; onStarted: () => void }) {
  const name = app.metadata.name;
  const resources = app.status?.resources ?? [];
  const [revision, setRevision] = useState((app.spec.source as { targetRevision?: string } | undefined)?.targetRevision || "HEAD");
  const [prune, setPrune] = useState(false);
  const [dryRun, setDryRun] = useState(false);
  const [applyOnly, setApplyOnly] = useState(false);
  const [force, setForce] = useState(false);
  const [options, setOptions] = useState<Set<string>>(new Set());
  const [propagation, setPropagation] = useState("foreground");
  const [retry, setRetry] = useState(false);
  const [retryLimit, setRetryLimit] = useState(2);
  const [picked, setPicked] = useState<Set<number>>(new Set(resources.map((_, i) => i)));
  const [confirm, setConfirm] = useState("");
  const [error, setError] = useState("");
  const [windows, setWindows] = useState<Window[]>([]);
  useEffect(() => {
    api<{ spec?: { syncWindows?: Window[] } }>("GET", `api/v1/projects/${app.spec.project || "default"}`)
      .then((p) => setWindows(p.spec?.syncWindows ?? []))
      .catch(() => setWindows([]));
  }, [app.spec.project]);

  const dangerous = (prune || options.has("Replace=true")) && !dryRun;
  const toggle = (o: string) => {
    const next = new Set(options);
    if (next.has(o)) next.delete(o);
    else next.add(o);
    setOptions(next);
  };
  const submit = async () => {
    setError("");
    const items = [...options];
    if (propagation !== "foreground") items.push(`PrunePropagationPolicy=${propagation}`);
    const body: Record<string, unknown> = {
      revision,
      prune,
      dryRun,
      strategy: applyOnly ? { apply: { force } } : { hook: { force } },
      syncOptions: { items },
    };
    if (picked.size !== resources.length)
      body.resources = resources
        .filter((_, i) => picked.has(i))
        .map((r) => ({ group: r.group ?? "", kind: r.kind, namespace: r.namespace ?? "", name: r.name }));
    if (retry) body.retryStrategy = { limit: retryLimit, backoff: { duration: "5s", factor: 2, maxDuration: "3m" } };
    try {
      await api("POST", `api/v1/applications/${name}/sync`, { body });
      onStarted();
      onClose();
    } catch (err) {
      setError((err as Error).message); // e.g. "blocked by sync window (...)", "another operation…"
    }
  };
  return (
    <div className="side-panel" data-testid="sync-panel">
      <header>
        <h3>Synchronize {name}</h3>
        <button onClick={onClose} aria-label="Close">
          ✕
        </button>
      </header>
      <label>
        Revision <input value={revision} onChange={(e) => setRevision(e.target.value)} aria-label="Revision" />
      </label>
      <div className="options">
        <label>
          <input type="checkbox" checked={prune} onChange={(e) => setPrune(e.target.checked)} /> Prune
        </label>
        <label>
          <input type="checkbox" checked={dryRun} onChange={(e) => setDryRun(e.target.checked)} /> Dry run
        </label>
        <label>
          <input type="checkbox" checked={applyOnly} onChange={(e) => setApplyOnly(e.target.checked)} /> Apply only
        </label>
        <label>
          <input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} /> Force
        </label>
        {OPTIONS.map(([value, label]) => (
          <label key={value}>
            <input type="checkbox" checked={options.has(value)} onChange={() => toggle(value)} /> {label}
          </label>
        ))}
        <label>
          Prune propagation policy{" "}
          <select value={propagation} onChange={(e) => setPropagation(e.target.value)}>
            <option>foreground</option>
            <option>background</option>
            <option>orphan</option>
          </select>
        </label>
        <label>
          <input type="checkbox" checked={retry} onChange={(e) => setRetry(e.target.checked)} /> Retry, limit{" "}
          <input type="number" min={1} value={retryLimit} onChange={(e) => setRetryLimit(Number(e.target.value))} style={{ width: 50 }} />
        </label>
      </div>
      {windows.length > 0 && (
        <div className="notice">
          Sync windows of project {app.spec.project || "default"}:{" "}
          {windows.map((w, i) => (
            <span key={i}>
              {w.kind} {w.schedule} for {w.duration}
              {w.manualSync ? " (manual sync allowed)" : ""};{" "}
            </span>
          ))}
        </div>
      )}
      <details>
        <summary>
          Resources ({picked.size}/{resources.length})
        </summary>
        {resources.map((r, i) => (
          <label key={i} className="block">
            <input
              type="checkbox"
              checked={picked.has(i)}
              onChange={() => {
                const next = new Set(picked);
                if (next.has(i)) next.delete(i);
                else next.add(i);
                setPicked(next);
              }}
            />{" "}
            {r.kind}/{r.name} <span className="muted">{r.status}</span>
          </label>
        ))}
      </details>
      {dangerous && (
        <label>
          Prune or Replace may delete resources: type <b>{name}</b> to confirm
          <input value={confirm} onChange={(e) => setConfirm(e.target.value)} aria-label="Confirm sync" />
        </label>
      )}
      <ErrorBox error={error} />
      <button className="primary" disabled={dangerous && confirm !== name} onClick={submit}>
        Synchronize
      </button>
    </div>
  );
}
