import { useEffect, useState } from "react";
import ReactDiffViewer from "react-diff-viewer-continued";
import YAML from "yaml";
import { api } from "../api";
import { ErrorBox, Events, StatusBadge } from "./common";
import { ResourceActions } from "./ResourceActions";
import { LOG_KINDS, PodLogs } from "./PodLogs";
import { keyOf } from "./ResourceTree";
import type { TreeNode } from "./ResourceTree";

type ResourceDiff = {
  group?: string;
  kind: string;
  namespace?: string;
  name: string;
  liveState?: string;
  targetState?: string;
  normalizedLiveState?: string;
  predictedLiveState?: string;
};

type Tab = "summary" | "live" | "desired" | "diff" | "events" | "logs";

const TAB_LABELS: Record<Tab, string> = {
  summary: "Summary",
  live: "Live manifest",
  desired: "Desired manifest",
  diff: "Diff",
  events: "Events",
  logs: "Logs",
};

function yamlOf(json: string | undefined): string {
  if (!json || json === "null") return "";
  try {
    return YAML.stringify(JSON.parse(json));
  } catch {
    return json;
  }
}

/** One resource: summary, live and desired manifests and their diff, all as the server masks them
 * (Secret values never reach the browser: the server replaces them before answering), and its events.
 * A child of the tree (ReplicaSet, Pod, Job: it has parentRefs) is in no Git manifest: its live
 * manifest comes from the `resource` route. `version` changes (the app or the node changed) re-read
 * everything shown, so an open panel follows syncs and live changes; the page keys the panel by
 * node, so another node starts afresh. */
export function ResourcePanel({
  appName,
  node,
  version,
  canReadLogs = false,
  onClose,
}: {
  appName: string;
  node: TreeNode;
  version?: string;
  /** `logs, get` on the app (Argo CD's RBAC): without it there is no Logs tab, as in Argo CD. */
  canReadLogs?: boolean;
  onClose: () => void;
}) {
  const parent = node.parentRefs?.[0];
  const [tab, setTab] = useState<Tab>(node.status === "OutOfSync" ? "diff" : "summary");
  const [diff, setDiff] = useState<ResourceDiff | null>(null);
  const [error, setError] = useState("");
  const [split, setSplit] = useState(true);
  const nodeKey = keyOf(node);
  useEffect(() => {
    const query = { group: node.group, kind: node.kind, namespace: node.namespace, resourceName: node.name };
    const read = parent
      ? api<{ manifest: string }>("GET", `api/v1/applications/${appName}/resource`, { query: { ...query, version: node.version } }).then(
          (r): ResourceDiff => ({ kind: node.kind, name: node.name, liveState: r.manifest }),
        )
      : api<{ items: ResourceDiff[] }>("GET", `api/v1/applications/${appName}/managed-resources`, { query }).then(
          (r) => r.items?.[0] ?? { kind: node.kind, name: node.name },
        );
    let current = true;
    read
      .then((d) => {
        if (!current) return;
        setError("");
        // the same answer again changes nothing on screen (no re-render of the diff viewer)
        setDiff((old) => (old && JSON.stringify(old) === JSON.stringify(d) ? old : d));
      })
      .catch((err: Error) => current && setError(err.message));
    return () => {
      current = false;
    };
    // node fields are in nodeKey; parent only tells the two routes apart
  }, [appName, nodeKey, Boolean(parent), version]);
  const live = yamlOf(diff?.normalizedLiveState || diff?.liveState);
  const desired = yamlOf(diff?.predictedLiveState || diff?.targetState);
  const tabs: Tab[] = ["summary", "live", "desired", ...(parent ? [] : ["diff" as Tab]), "events", ...(canReadLogs && LOG_KINDS.has(node.kind) ? ["logs" as Tab] : [])];
  return (
    <div className="side-panel" data-testid="resource-panel">
      <header>
        <h3>
          {node.kind} {node.name}
        </h3>
        <button onClick={onClose} aria-label="Close">
          ✕
        </button>
      </header>
      <ResourceActions appName={appName} node={node} />
      <div className="tabs">
        {tabs.map((t) => (
          <button key={t} className={t === tab ? "active" : ""} onClick={() => setTab(t)}>
            {TAB_LABELS[t]}
          </button>
        ))}
      </div>
      <ErrorBox error={error} />
      {tab === "summary" && (
        <dl className="summary-list">
          <dt>Kind</dt>
          <dd>{node.kind}</dd>
          <dt>Namespace</dt>
          <dd>{node.namespace}</dd>
          <dt>Sync</dt>
          <dd>{node.status && <StatusBadge status={node.status} />}</dd>
          <dt>Health</dt>
          <dd>
            {node.health?.status && <StatusBadge status={node.health.status} />} {node.health?.message}
          </dd>
        </dl>
      )}
      {tab === "live" && <pre className="manifest">{diff ? live || "(not in the cluster)" : "Loading…"}</pre>}
      {tab === "desired" && (
        <pre className="manifest">
          {parent ? `(not in Git: created by ${parent.kind} ${parent.name})` : diff ? desired || "(not in Git: pruned on sync)" : "Loading…"}
        </pre>
      )}
      {tab === "events" && <Events name={appName} resource={node} version={version} />}
      {tab === "logs" && <PodLogs appName={appName} node={node} />}
      {tab === "diff" && !parent && diff && (
        <div data-testid="diff">
          <label>
            <input type="checkbox" checked={!split} onChange={() => setSplit(!split)} /> Inline
          </label>
          <ReactDiffViewer oldValue={live} newValue={desired} splitView={split} leftTitle="Live" rightTitle="Desired" />
        </div>
      )}
    </div>
  );
}
