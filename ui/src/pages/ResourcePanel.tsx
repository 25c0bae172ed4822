import { useEffect, useState } from "react";
import ReactDiffViewer from "react-diff-viewer-continued";
import YAML from "yaml";
import { api } from "../api";
import { ErrorBox, StatusBadge } from "./common";
import { ResourceActions } from "./ResourceActions";
import { LOG_KINDS, PodLogs } from "./PodLogs";
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

type Tab = "summary" | "live" | "desired" | "diff" | "logs";

function yamlOf(json: string | undefined): string {
  if (!json || json === "null") return "";
  try {
    return YAML.stringify(JSON.parse(json));
  } catch {
    return json;
  }
}

/** One resource: summary, live and desired manifests and their diff, all as the server masks them
 * (Secret values never reach the browser: the server replaces them before answering). */
export function ResourcePanel({ appName, node, onClose }: { appName: string; node: TreeNode; onClose: () => void }) {
  const [tab, setTab] = useState<Tab>(node.status === "OutOfSync" ? "diff" : "summary");
  const [diff, setDiff] = useState<ResourceDiff | null>(null);
  const [error, setError] = useState("");
  const [split, setSplit] = useState(true);
  useEffect(() => {
    setDiff(null);
    setError("");
    api<{ items: ResourceDiff[] }>("GET", `api/v1/applications/${appName}/managed-resources`, {
      query: { group: node.group, kind: node.kind, namespace: node.namespace, resourceName: node.name },
    })
      .then((r) => setDiff(r.items?.[0] ?? { kind: node.kind, name: node.name }))
      .catch((err: Error) => setError(err.message));
  }, [appName, node.group, node.kind, node.namespace, node.name]);
  const live = yamlOf(diff?.normalizedLiveState || diff?.liveState);
  const desired = yamlOf(diff?.predictedLiveState || diff?.targetState);
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
        {(["summary", "live", "desired", "diff", ...(LOG_KINDS.has(node.kind) ? ["logs"] : [])] as Tab[]).map((t) => (
          <button key={t} className={t === tab ? "active" : ""} onClick={() => setTab(t)}>
            {t === "summary" ? "Summary" : t === "live" ? "Live manifest" : t === "desired" ? "Desired manifest" : t === "diff" ? "Diff" : "Logs"}
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
      {tab === "desired" && <pre className="manifest">{diff ? desired || "(not in Git: pruned on sync)" : "Loading…"}</pre>}
      {tab === "logs" && <PodLogs appName={appName} node={node} />}
      {tab === "diff" && diff && (
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
