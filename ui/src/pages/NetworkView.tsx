import { useMemo, useState } from "react";
import { Box, GraphSvg, layoutGraph } from "./graph";
import { GROUP_OVER, keyOf, TreeNode } from "./ResourceTree";

const selects = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

/**
 * Argo CD's Network view: traffic from Ingress → Service → Pods, from the server's resource tree
 * (the page's live tree, see liveTree.ts), whose nodes carry networkingInfo: an Ingress's
 * targetRefs name Services, a Service's targetLabels select Pods by their labels (same namespace).
 * More than GROUP_OVER Pods behind one Service are one box until opened. `nodes` is null until
 * the tree has arrived.
 */
export function NetworkView({ nodes, onSelect }: { nodes: TreeNode[] | null; onSelect: (n: TreeNode) => void }) {
  const [open, setOpen] = useState<Set<string>>(new Set());

  const { layout, shown, unconnected } = useMemo(() => {
    const all = nodes ?? [];
    const ingresses = all.filter((n) => n.kind === "Ingress" && n.networkingInfo);
    const services = all.filter((n) => n.kind === "Service" && (n.group ?? "") === "" && n.networkingInfo);
    const pods = all.filter((n) => n.kind === "Pod" && n.networkingInfo?.labels);
    const boxes = new Map<string, Box>();
    const edges: [string, string][] = [];
    const box = (n: TreeNode, note?: string) =>
      boxes.set(keyOf(n), { id: keyOf(n), label: n.name, sub: n.kind, node: n, health: n.health?.status, sync: n.status, note });
    for (const s of services) box(s);
    for (const i of ingresses) {
      const urls = i.networkingInfo?.externalURLs ?? [];
      box(i, urls.join(" ") || undefined);
      for (const ref of i.networkingInfo?.targetRefs ?? []) {
        const target = keyOf({ group: ref.group ?? "", kind: ref.kind, namespace: ref.namespace ?? i.namespace, name: ref.name });
        if (boxes.has(target)) edges.push([keyOf(i), target]);
      }
    }
    const connected = new Set<string>();
    for (const s of services) {
      const selector = s.networkingInfo?.targetLabels;
      if (!selector || Object.keys(selector).length === 0) continue;
      const behind = pods.filter((p) => p.namespace === s.namespace && selects(selector, p.networkingInfo?.labels));
      behind.forEach((p) => connected.add(keyOf(p)));
      const groupKey = `${keyOf(s)}|pods`;
      if (behind.length > GROUP_OVER && !open.has(groupKey)) {
        boxes.set(groupKey, { id: groupKey, label: `${behind.length} × Pod`, sub: "Pods behind this Service", groupKey });
        edges.push([keyOf(s), groupKey]);
        continue;
      }
      for (const p of behind) {
        box(p);
        edges.push([keyOf(s), keyOf(p)]);
      }
    }
    return { layout: layoutGraph(boxes.values(), edges), shown: boxes.size, unconnected: pods.length - connected.size };
  }, [nodes, open]);

  if (!nodes) return <div className="muted">Loading…</div>;
  return (
    <div>
      <div className="toolbar">
        <span className="muted">
          Ingress → Service → Pods{unconnected > 0 && `; ${unconnected} Pod(s) behind no Service are not shown`}
        </span>
      </div>
      {shown === 0 ? (
        <div className="muted">This application has no Services or Ingresses.</div>
      ) : (
        <GraphSvg
          layout={layout}
          testId="network-view"
          onClick={(b) => {
            if (b.groupKey) setOpen(new Set([...open, b.groupKey]));
            else if (b.node) onSelect(b.node);
          }}
        />
      )}
    </div>
  );
}
