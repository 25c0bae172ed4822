import { useMemo, useState } from "react";
import { Box, GraphSvg, layoutGraph } from "./graph";

export type TreeNode = {
  group?: string;
  version?: string;
  kind: string;
  namespace?: string;
  name: string;
  /** children only (the live object's metadata.uid): narrows their Events to this object */
  uid?: string;
  status?: string;
  health?: { status?: string; message?: string };
  /** Argo CD's networkingInfo (resource-tree only): what the Network view connects. */
  networkingInfo?: {
    targetLabels?: Record<string, string>;
    targetRefs?: { group?: string; kind: string; namespace?: string; name: string }[];
    labels?: Record<string, string>;
    ingress?: { ip?: string; hostname?: string }[];
    externalURLs?: string[];
  };
  parentRefs?: { group?: string; kind: string; namespace?: string; name: string }[];
};

/** More nodes than this of one kind under one parent are shown as one group node (click to open). */
export const GROUP_OVER = 10;
export const keyOf = (n: { group?: string; kind: string; namespace?: string; name: string }) =>
  `${n.group ?? ""}/${n.kind}/${n.namespace ?? ""}/${n.name}`;

/**
 * The application's resources (those the details page's filter lets through, ResourceFilter.tsx)
 * as a left-to-right graph (Application → Deployment → ReplicaSet → Pod).
 * Layout by dagre; many siblings of one kind collapse into a group node, so an app with 2,000
 * resources lays out a few dozen boxes until the user opens a group.
 */
export function ResourceTree({
  appName,
  nodes,
  onSelect,
}: {
  appName: string;
  nodes: TreeNode[];
  onSelect: (n: TreeNode) => void;
}) {
  const [open, setOpen] = useState<Set<string>>(new Set());

  const layout = useMemo(() => {
    const known = new Set(nodes.map(keyOf));
    const root = "app";
    const drawn = new Map<string, Box>([[root, { id: root, label: appName, sub: "Application" }]]);
    const edges: [string, string][] = [];
    // children per (parent, kind): group the crowded ones
    const byParentKind = new Map<string, TreeNode[]>();
    for (const n of nodes) {
      const parent = n.parentRefs?.map(keyOf).find((p) => known.has(p)) ?? root;
      const k = `${parent}|${n.kind}`;
      byParentKind.set(k, [...(byParentKind.get(k) ?? []), n]);
    }
    for (const [k, members] of byParentKind) {
      const [parent] = k.split("|");
      if (members.length > GROUP_OVER && !open.has(k)) {
        const out = members.filter((m) => m.status === "OutOfSync").length;
        const bad = members.filter((m) => m.health?.status && m.health.status !== "Healthy").length;
        drawn.set(k, { id: k, label: `${members.length} × ${members[0].kind}`, sub: `${out} out of sync, ${bad} not healthy`, groupKey: k });
        edges.push([parent, k]);
        continue;
      }
      for (const m of members) {
        const id = keyOf(m);
        drawn.set(id, { id, label: m.name, sub: m.kind, node: m, sync: m.status, health: m.health?.status });
        edges.push([parent, id]);
      }
    }
    return layoutGraph(drawn.values(), edges);
  }, [nodes, open, appName]);

  return (
    <div>
      <GraphSvg
        layout={layout}
        testId="resource-tree"
        onClick={(b) => {
          if (b.groupKey) setOpen(new Set([...open, b.groupKey]));
          else if (b.node) onSelect(b.node);
        }}
      />
    </div>
  );
}
