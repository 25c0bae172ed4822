// An application's resource tree kept live: the server's resource-tree stream, GET as the fallback.
import { useEffect, useState } from "react";
import { api, openStream, StreamState } from "./api";
import { keyOf, TreeNode } from "./pages/ResourceTree";

type TreeAnswer = { nodes?: TreeNode[] | null };

/**
 * The resource tree of `appName` (its managed resources, the ReplicaSets/Jobs/Pods they own with
 * parentRefs and health, networkingInfo) from GET /api/v1/stream/applications/{name}/resource-tree:
 * the server sends it on connect and again whenever it changes (Pods come and go without the
 * Application changing). While the stream is down (it reconnects with backoff; `stream` says so),
 * each failed attempt reads GET .../resource-tree instead, so the page still shows a current tree,
 * or the server's reason (a refusal's message), which an EventSource cannot report.
 * `nodes` is null until the first answer.
 */
export function useResourceTree(appName: string): { nodes: TreeNode[] | null; error: string; stream: StreamState } {
  const [nodes, setNodes] = useState<TreeNode[] | null>(null);
  const [error, setError] = useState("");
  const [stream, setStream] = useState<StreamState>({ connected: false, retryIn: 0, error: "" });

  useEffect(() => {
    let live = true;
    let streaming = false;
    setNodes(null);
    setError("");
    const close = openStream(
      `api/v1/stream/applications/${appName}/resource-tree`,
      () => ({}),
      (data) => {
        const tree = (data as { result?: TreeAnswer }).result;
        if (!live || !tree) return;
        setNodes(tree.nodes ?? []);
        setError("");
      },
      (state) => {
        if (!live) return;
        streaming = state.connected;
        setStream(state);
        if (state.connected) return;
        api<TreeAnswer>("GET", `api/v1/applications/${appName}/resource-tree`)
          .then((r) => {
            if (!live || streaming) return; // the stream came back meanwhile: its tree is newer
            setNodes(r.nodes ?? []);
            setError("");
          })
          .catch((err: Error) => live && !streaming && setError(err.message));
      },
    );
    return () => {
      live = false;
      close();
    };
  }, [appName]);

  return { nodes, error, stream };
}

/**
 * The tree's nodes with each managed resource's sync status (Synced/OutOfSync) from the app's
 * `status.resources`: the tree, as Argo CD's, carries health and parents but not sync status,
 * which the app's own stream keeps current. Managed resources not in the cluster yet (or any
 * more) are in no tree: they are drawn from `status.resources` (Missing, OutOfSync), as Argo CD
 * draws them, so what a sync will create shows before it exists.
 */
export function withSyncStatus(nodes: TreeNode[], resources: TreeNode[]): TreeNode[] {
  const sync = new Map(resources.map((r): [string, string | undefined] => [keyOf(r), r.status]));
  const out = nodes.map((n) => {
    const status = sync.get(keyOf(n));
    return status && status !== n.status ? { ...n, status } : n;
  });
  const drawn = new Set(nodes.map(keyOf));
  for (const r of resources) if (!drawn.has(keyOf(r))) out.push(r);
  return out;
}
