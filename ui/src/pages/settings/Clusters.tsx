import { useState } from "react";
import { api } from "../../api";
import { ErrorBox } from "../common";
import { scopedObject, useCanEach } from "../../permissions";
import { attempt, lines, pairs, unpairs, useList } from "./shared";

type Cluster = {
  server: string;
  name?: string;
  namespaces?: string[];
  project?: string;
  labels?: Record<string, string>;
  connectionState?: { status?: string; message?: string };
  serverVersion?: string;
  info?: { applicationsCount?: number; serverVersion?: string; connectionState?: { status?: string; message?: string } };
};

/** Clusters with connection state, version and apps; name, labels and namespaces are edited with
 * `PUT /api/v1/clusters/{server}?updatedFields=...` (credentials stay with `argosy cluster add --upsert`). */
export function Clusters() {
  const [clusters, listError, reload] = useList<Cluster>("api/v1/clusters");
  // asked per cluster: a policy may allow editing only one project's clusters
  const mayUpdate = useCanEach("clusters", "update", clusters.map((c) => scopedObject(c.server, c.project)));
  const [editing, setEditing] = useState<Cluster | null>(null);
  return (
    <section>
      <h2>Clusters</h2>
      <ErrorBox error={listError} />
      <table className="table" data-testid="clusters">
        <thead>
          <tr>
            <th>Name</th>
            <th>Server</th>
            <th>Version</th>
            <th>Connection</th>
            <th>Apps</th>
            <th>Labels</th>
            <th>Namespaces</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {clusters.map((c) => {
            const state = c.info?.connectionState ?? c.connectionState;
            return (
              <tr key={c.server} data-server={c.server}>
                <td>{c.name}</td>
                <td>{c.server}</td>
                <td>{c.info?.serverVersion ?? c.serverVersion}</td>
                <td title={state?.message}>{state?.status}</td>
                <td>{c.info?.applicationsCount ?? ""}</td>
                <td>{unpairs(c.labels).split("\n").join(", ")}</td>
                <td>{(c.namespaces ?? []).join(", ") || <span className="muted">all</span>}</td>
                <td>{mayUpdate(scopedObject(c.server, c.project)) && <button onClick={() => setEditing(c)}>Edit</button>}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {editing && <ClusterEditor key={editing.server} cluster={editing} onDone={() => (setEditing(null), reload())} />}
    </section>
  );
}

function ClusterEditor({ cluster, onDone }: { cluster: Cluster; onDone: () => void }) {
  const [name, setName] = useState(cluster.name ?? "");
  const [labels, setLabels] = useState(unpairs(cluster.labels));
  const [namespaces, setNamespaces] = useState((cluster.namespaces ?? []).join("\n"));
  const [error, setError] = useState("");
  const save = () =>
    attempt(setError, () =>
      api("PUT", `api/v1/clusters/${encodeURIComponent(cluster.server)}`, {
        query: { updatedFields: ["name", "labels", "namespaces"] },
        body: { server: cluster.server, name, labels: pairs(labels), namespaces: lines(namespaces) },
      }),
    ).then((ok) => ok && onDone());
  return (
    <div className="form" data-testid="cluster-editor">
      <h3>Edit cluster {cluster.server}</h3>
      <ErrorBox error={error} />
      <label>
        Name
        <input value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <label>
        Labels (key=value, one a line)
        <textarea rows={3} value={labels} onChange={(e) => setLabels(e.target.value)} />
      </label>
      <label>
        Namespaces (one a line; none: all namespaces)
        <textarea rows={3} value={namespaces} onChange={(e) => setNamespaces(e.target.value)} />
      </label>
      <div className="toolbar">
        <button className="primary" onClick={save} disabled={!name}>
          Save cluster
        </button>
        <button onClick={onDone}>Cancel</button>
      </div>
    </div>
  );
}
