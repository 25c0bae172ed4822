// The sync options, prune propagation policy and retry fields, as Argo CD's sync panel and "New app"
// form both show them: one set of fields and one retry check for the two (SyncPanel, CreateApp).

/** Argo CD's sync options, as the checkboxes of its sync panel name them. */
export const SYNC_OPTIONS: [string, string][] = [
  ["Validate=false", "Skip schema validation"],
  ["CreateNamespace=true", "Auto-create namespace"],
  ["ApplyOutOfSyncOnly=true", "Apply out of sync only"],
  ["RespectIgnoreDifferences=true", "Respect ignore differences"],
  ["ServerSideApply=true", "Server-side apply"],
  ["PruneLast=true", "Prune last"],
  ["Replace=true", "Replace"],
];

/** A Go duration (``5s``, ``1m30s``, ``1.5h``) or a bare number of seconds, as the server's retry reader accepts. */
const DURATION = /^(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$|^(?:\d+(?:\.\d*)?|\.\d+)$/;

export type Retry = { on: boolean; limit: number; duration: string; factor: number; maxDuration: string };
export const NO_RETRY: Retry = { on: false, limit: 2, duration: "5s", factor: 2, maxDuration: "3m" };

/** Why the retry settings would be refused ("" when they are fine or retry is off). */
export function retryProblem(r: Retry): string {
  if (!r.on) return "";
  if (!Number.isInteger(r.limit)) return "the retry limit must be a whole number (-1 retries forever)";
  if (!DURATION.test(r.duration.trim())) return `backoff duration '${r.duration}' is not a duration; write it like 5s, 2m or 1h30m`;
  if (!DURATION.test(r.maxDuration.trim())) return `max duration '${r.maxDuration}' is not a duration; write it like 3m or 1h`;
  if (!(r.factor >= 1)) return "the backoff factor must be a number of at least 1";
  return "";
}

/** Argo CD's retry strategy object (sync request ``retryStrategy``, ``spec.syncPolicy.retry``). */
export const retryStrategy = (r: Retry) => ({
  limit: r.limit,
  backoff: { duration: r.duration.trim(), factor: r.factor, maxDuration: r.maxDuration.trim() },
});

/** The syncOptions items: the checked options, and the propagation policy unless the default. */
export function syncOptionItems(options: Set<string>, propagation: string): string[] {
  const items = SYNC_OPTIONS.map(([value]) => value).filter((v) => options.has(v));
  if (propagation !== "foreground") items.push(`PrunePropagationPolicy=${propagation}`);
  return items;
}

export function SyncOptionFields({
  options,
  onChange,
  propagation,
  onPropagation,
}: {
  options: Set<string>;
  onChange: (next: Set<string>) => void;
  propagation: string;
  onPropagation: (policy: string) => void;
}) {
  const toggle = (o: string) => {
    const next = new Set(options);
    if (next.has(o)) next.delete(o);
    else next.add(o);
    onChange(next);
  };
  return (
    <>
      {SYNC_OPTIONS.map(([value, label]) => (
        <label key={value}>
          <input type="checkbox" checked={options.has(value)} onChange={() => toggle(value)} /> {label}
        </label>
      ))}
      <label>
        Prune propagation policy{" "}
        <select value={propagation} onChange={(e) => onPropagation(e.target.value)}>
          <option>foreground</option>
          <option>background</option>
          <option>orphan</option>
        </select>
      </label>
    </>
  );
}

export function RetryFields({ retry, onChange }: { retry: Retry; onChange: (r: Retry) => void }) {
  const problem = retryProblem(retry);
  return (
    <>
      <label>
        <input type="checkbox" checked={retry.on} onChange={(e) => onChange({ ...retry, on: e.target.checked })} aria-label="Retry" /> Retry
      </label>
      {retry.on && (
        <div className="toolbar" data-testid="retry-settings">
          <label>
            Limit{" "}
            <input type="number" min={-1} value={retry.limit} onChange={(e) => onChange({ ...retry, limit: Number(e.target.value) })} aria-label="Retry limit" style={{ width: 50 }} />
          </label>
          <label>
            Backoff duration{" "}
            <input value={retry.duration} onChange={(e) => onChange({ ...retry, duration: e.target.value })} aria-label="Backoff duration" style={{ width: 60 }} />
          </label>
          <label>
            Factor{" "}
            <input type="number" min={1} value={retry.factor} onChange={(e) => onChange({ ...retry, factor: Number(e.target.value) })} aria-label="Backoff factor" style={{ width: 50 }} />
          </label>
          <label>
            Max duration{" "}
            <input value={retry.maxDuration} onChange={(e) => onChange({ ...retry, maxDuration: e.target.value })} aria-label="Backoff max duration" style={{ width: 60 }} />
          </label>
          {problem && (
            <span className="muted" data-testid="retry-problem">
              {problem}
            </span>
          )}
        </div>
      )}
    </>
  );
}
