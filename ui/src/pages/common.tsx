import { useEffect, useState } from "react";
import { api } from "../api";
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

type KubeEvent = {
  reason?: string;
  message?: string;
  type?: string;
  count?: number;
  lastTimestamp?: string;
  involvedObject?: { kind?: string };
};

/** Kubernetes Events of the application or, with `resource`, of one object of its tree (read by
 * the server in the destination cluster). Events name no group: `kind` keeps those of namesakes
 * (a Service and a Deployment both called web) apart. `version` changes re-read them. */
export function Events({
  name,
  resource,
  version,
}: {
  name: string;
  resource?: { namespace?: string; name: string; uid?: string; kind: string };
  version?: string;
}) {
  const [items, setItems] = useState<KubeEvent[] | null>(null);
  const [error, setError] = useState("");
  const query = resource ? { resourceNamespace: resource.namespace, resourceName: resource.name, resourceUID: resource.uid } : {};
  const queryKey = JSON.stringify(query);
  useEffect(() => {
    setError("");
    api<{ items: KubeEvent[] }>("GET", `api/v1/applications/${name}/events`, { query: JSON.parse(queryKey) })
      .then((r) => setItems((r.items ?? []).filter((e) => !resource || !e.involvedObject?.kind || e.involvedObject.kind === resource.kind)))
      .catch((err: Error) => setError(err.message));
  }, [name, queryKey, resource?.kind, version]);
  return (
    <div data-testid="events">
      <ErrorBox error={error} />
      {items === null && !error && "Loading…"}
      {items?.length === 0 && <p className="muted">No events.</p>}
      <table className="table">
        <tbody>
          {(items ?? []).map((e, i) => (
            <tr key={i}>
              <td>{e.type}</td>
              <td>{e.reason}</td>
              <td>{e.message}</td>
              <td>{e.count && e.count > 1 ? `×${e.count}` : ""}</td>
              <td>{e.lastTimestamp}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
