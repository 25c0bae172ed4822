import { useMemo, useState } from "react";
import dagre from "@dagrejs/dagre";
import { StatusBadge } from "./common";

export type TreeNode = {
  group?: string;
  version?: string;
  kind: string;
  namespace?: string;
  name: string;
  status?: string;
  health?: { status?: string; message?: string };
  parentRefs?: { group?: string; kind: string; namespace?: string; name: string }[];
};

/** More nodes than this of one kind under one parent are shown as one group node (click to open). */
export const GROUP_OVER = 10;
const W = 280;
const H = 54;

type Drawn = { id: string; label: string; sub: string; node?: TreeNode; groupKey?: string; sync?: string; health?: string };

const keyOf = (n: { group?: string; kind: string; namespace?: string; name: string }) =>
  `${n.group ?? ""}/${n.kind}/${n.namespace ?? ""}/${n.name}`;

/**
 * The application's resources as a left-to-right graph (Application → Deployment → ReplicaSet → Pod).
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
  const [kindFilter, setKindFilter] = useState("");
  const [syncFilter, setSyncFilter] = useState("");
  const [healthFilter, setHealthFilter] = useState("");

  const layout = useMemo(() => {
    const shown = nodes.filter(
      (n) =>
        (!kindFilter || n.kind === kindFilter) &&
        (!syncFilter || n.status === syncFilter) &&
        (!healthFilter || (n.health?.status ?? "") === healthFilter),
    );
    const known = new Set(shown.map(keyOf));
    const root = "app";
    const drawn = new Map<string, Drawn>([[root, { id: root, label: appName, sub: "Application" }]]);
    const edges: [string, string][] = [];
    // children per (parent, kind): group the crowded ones
    const byParentKind = new Map<string, TreeNode[]>();
    for (const n of shown) {
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
    const g = new dagre.graphlib.Graph();
    g.setGraph({ rankdir: "LR", nodesep: 12, ranksep: 60 });
    g.setDefaultEdgeLabel(() => ({}));
    for (const d of drawn.values()) g.setNode(d.id, { width: W, height: H });
    for (const [a, b] of edges) if (drawn.has(a)) g.setEdge(a, b);
    dagre.layout(g);
    const graph = g.graph();
    return {
      width: (graph.width ?? 0) + 20,
      height: (graph.height ?? 0) + 20,
      boxes: [...drawn.values()].map((d) => ({ ...d, x: g.node(d.id).x, y: g.node(d.id).y })),
      lines: edges.filter(([a]) => drawn.has(a)).map(([a, b]) => [g.node(a), g.node(b)] as const),
    };
  }, [nodes, open, appName, kindFilter, syncFilter, healthFilter]);

  const kinds = [...new Set(nodes.map((n) => n.kind))].sort();
  return (
    <div>
      <div className="toolbar">
        <select value={kindFilter} onChange={(e) => setKindFilter(e.target.value)} aria-label="Filter tree by kind">
          <option value="">All kinds</option>
          {kinds.map((k) => (
            <option key={k}>{k}</option>
          ))}
        </select>
        <select value={syncFilter} onChange={(e) => setSyncFilter(e.target.value)} aria-label="Filter tree by sync">
          <option value="">Any sync status</option>
          <option>Synced</option>
          <option>OutOfSync</option>
        </select>
        <select value={healthFilter} onChange={(e) => setHealthFilter(e.target.value)} aria-label="Filter tree by health">
          <option value="">Any health</option>
          {["Healthy", "Progressing", "Degraded", "Suspended", "Missing"].map((h) => (
            <option key={h}>{h}</option>
          ))}
        </select>
        <span className="muted">{nodes.length} resources</span>
      </div>
      <div className="tree-scroll" data-testid="resource-tree">
        <svg width={layout.width} height={layout.height}>
          {layout.lines.map(([a, b], i) => (
            <path
              key={i}
              d={`M${a.x + W / 2},${a.y} C${a.x + W / 2 + 30},${a.y} ${b.x - W / 2 - 30},${b.y} ${b.x - W / 2},${b.y}`}
              stroke="#aab"
              fill="none"
            />
          ))}
          {layout.boxes.map((b) => (
            <foreignObject key={b.id} x={b.x - W / 2} y={b.y - H / 2} width={W} height={H}>
              <div
                className={"tree-node" + (b.groupKey ? " group" : "")}
                data-testid="tree-node"
                data-kind={b.sub}
                data-name={b.label}
                onClick={() => {
                  if (b.groupKey) setOpen(new Set([...open, b.groupKey]));
                  else if (b.node) onSelect(b.node);
                }}
              >
                <div className="ellipsis" title={b.label}>
                  <b>{b.label}</b>
                </div>
                <div className="muted">
                  {b.sub} {b.health && <StatusBadge status={b.health} />} {b.sync && <StatusBadge status={b.sync} />}
                </div>
              </div>
            </foreignObject>
          ))}
        </svg>
      </div>
    </div>
  );
}
