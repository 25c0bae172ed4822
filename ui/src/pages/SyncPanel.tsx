import { useEffect, useState } from "react";
import { api } from "../api";
import { ErrorBox } from "./common";
import type { FullApp } from "./AppDetail";
import { NO_RETRY, RetryFields, retryProblem, retryStrategy, SyncOptionFields, syncOptionItems } from "./syncFields";

type Window = { kind?: string; schedule?: string; duration?: string; manualSync?: boolean; timeZone?: string };
/** Argo CD's GetApplicationSyncWindows, plus ``reason``: the explanation a refused sync would give. */
type SyncWindowsState = { assignedWindows?: Window[]; activeWindows?: Window[]; canSync?: boolean; reason?: string };

const describe = (w: Window) => `${w.kind} ${w.schedule} for ${w.duration}${w.timeZone ? ` (${w.timeZone})` : ""}`;

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
  const [retry, setRetry] = useState(NO_RETRY);
  const [picked, setPicked] = useState<Set<number>>(new Set(resources.map((_, i) => i)));
  const [confirm, setConfirm] = useState("");
  const [error, setError] = useState("");
  const [windows, setWindows] = useState<SyncWindowsState>({});
  const [windowsError, setWindowsError] = useState("");
  // The server decides with the same evaluation a sync meets, so "would be refused" here is what happens.
  useEffect(() => {
    api<SyncWindowsState>("GET", `api/v1/applications/${encodeURIComponent(name)}/syncwindows`)
      .then((w) => (setWindows(w), setWindowsError("")))
      .catch((err) => setWindowsError(`Could not read the sync windows of ${name}: ${(err as Error).message}`));
  }, [name]);
  const problem = retryProblem(retry);

  const dangerous = (prune || options.has("Replace=true")) && !dryRun;
  const submit = async () => {
    setError("");
    const items = syncOptionItems(options, propagation);
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
    if (retry.on) body.retryStrategy = retryStrategy(retry);
    try {
      await api("POST", `api/v1/applications/${name}/sync`, { body });
      onStarted();
      onClose();
    } catch (err) {
      setError((err as Error).message); // e.g. "blocked by sync window (...)", "another operation…", a bad retry
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
        <SyncOptionFields options={options} onChange={setOptions} propagation={propagation} onPropagation={setPropagation} />
        <RetryFields retry={retry} onChange={setRetry} />
      </div>
      <ErrorBox error={windowsError} />
      {(windows.assignedWindows ?? []).length > 0 && (
        <div className="notice" data-testid="sync-windows">
          Sync windows of project {app.spec.project || "default"} for this application:{" "}
          {(windows.assignedWindows ?? []).map((w, i) => (
            <span key={i}>
              {describe(w)}
              {w.manualSync ? " (manual sync allowed)" : ""};{" "}
            </span>
          ))}
          {(windows.activeWindows ?? []).length > 0 && (
            <div>
              Active now: {(windows.activeWindows ?? []).map(describe).join("; ")}
            </div>
          )}
          {windows.canSync === false && (
            <div className="error" data-testid="sync-window-blocked">
              This sync would be refused: {windows.reason}
            </div>
          )}
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
      <button className="primary" disabled={(dangerous && confirm !== name) || !!problem} title={problem} onClick={submit}>
        Synchronize
      </button>
    </div>
  );
}
