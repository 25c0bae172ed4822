import type { StreamState } from "../api";

const COLOURS: Record<string, string> = {
  Synced: "#18be94",
  OutOfSync: "#f4c030",
  Healthy: "#18be94",
  Progressing: "#0dadea",
  Degraded: "#e96d76",
  Suspended: "#766f94",
  Missing: "#f4c030",
  Unknown: "#ccd6dd",
  Syncing: "#0dadea",
  Succeeded: "#18be94",
  Failed: "#e96d76",
  Error: "#e96d76",
  Running: "#0dadea",
};

export function StatusBadge({ status, count }: { status: string; count?: number }) {
  return (
    <span className="badge" style={{ background: COLOURS[status] ?? "#ccd6dd" }} data-status={status}>
      {status}
      {count !== undefined && <b> {count}</b>}
    </span>
  );
}

/** Says when the live updates are interrupted and when the next attempt is. */
export function StreamBanner({ state }: { state: StreamState }) {
  if (state.connected || !state.error) return null;
  return (
    <div className="warning" role="status" data-testid="stream-lost">
      Live updates interrupted ({state.error}); reconnecting in {state.retryIn} s…
    </div>
  );
}

export function ErrorBox({ error }: { error: string }) {
  if (!error) return null;
  return (
    <div className="error" role="alert">
      {error}
    </div>
  );
}
