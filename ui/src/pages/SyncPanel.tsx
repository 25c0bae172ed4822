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

type Window = { kind?: string; schedule?: string; duration?: string; manualSync?: boolean; timeZone?: string };
/** Argo CD's GetApplicationSyncWindows, plus ``reason``: the explanation a refused sync would give. */
type SyncWindowsState = { assignedWindows?: Window[]; activeWindows?: Window[]; canSync?: boolean; reason?: string };

/** A Go duration (``5s``, ``1m30s``, ``1.5h``) or a bare number of seconds, as the server's retry reader accepts. */
const DURATION = /^(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$|^(?:\d+(?:\.\d*)?|\.\d+)$/;

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
  const [retry, setRetry] = useState(false);
  const [retryLimit, setRetryLimit] = useState(2);
  const [backoff, setBackoff] = useState({ duration: "5s", factor: 2, maxDuration: "3m" });
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
  const retryProblem = !retry
    ? ""
    : !Number.isInteger(retryLimit)
      ? "the retry limit must be a whole number (-1 retries forever)"
      : !DURATION.test(backoff.duration.trim())
        ? `backoff duration '${backoff.duration}' is not a duration; write it like 5s, 2m or 1h30m`
        : !DURATION.test(backoff.maxDuration.trim())
          ? `max duration '${backoff.maxDuration}' is not a duration; write it like 3m or 1h`
          : !(backoff.factor >= 1)
            ? "the backoff factor must be a number of at least 1"
            : "";

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
    if (retry)
      body.retryStrategy = {
        limit: retryLimit,
        backoff: { duration: backoff.duration.trim(), factor: backoff.factor, maxDuration: backoff.maxDuration.trim() },
      };
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
          <input type="checkbox" checked={retry} onChange={(e) => setRetry(e.target.checked)} aria-label="Retry" /> Retry
        </label>
        {retry && (
          <div className="toolbar" data-testid="retry-settings">
            <label>
              Limit{" "}
              <input type="number" min={-1} value={retryLimit} onChange={(e) => setRetryLimit(Number(e.target.value))} aria-label="Retry limit" style={{ width: 50 }} />
            </label>
            <label>
              Backoff duration{" "}
              <input value={backoff.duration} onChange={(e) => setBackoff({ ...backoff, duration: e.target.value })} aria-label="Backoff duration" style={{ width: 60 }} />
            </label>
            <label>
              Factor{" "}
              <input type="number" min={1} value={backoff.factor} onChange={(e) => setBackoff({ ...backoff, factor: Number(e.target.value) })} aria-label="Backoff factor" style={{ width: 50 }} />
            </label>
            <label>
              Max duration{" "}
              <input value={backoff.maxDuration} onChange={(e) => setBackoff({ ...backoff, maxDuration: e.target.value })} aria-label="Backoff max duration" style={{ width: 60 }} />
            </label>
            {retryProblem && <span className="muted" data-testid="retry-problem">{retryProblem}</span>}
          </div>
        )}
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
      <button className="primary" disabled={(dangerous && confirm !== name) || !!retryProblem} title={retryProblem} onClick={submit}>
        Synchronize
      </button>
    </div>
  );
}
