import dagre from "@dagrejs/dagre";
import { StatusBadge } from "./common";
import type { TreeNode } from "./ResourceTree";

// The one graph drawing of the application page: the Tree and Network views differ only in which
// boxes and edges they pass; dagre lays them out left to right.

export const W = 280;
export const H = 54;

export type Box = {
  id: string;
  label: string;
  sub: string;
  node?: TreeNode;
  groupKey?: string;
  sync?: string;
  health?: string;
  /** A second line under the kind (e.g. an Ingress's external URL). */
  note?: string;
};

export type Laid = {
  width: number;
  height: number;
  boxes: (Box & { x: number; y: number })[];
  /** Edges by box id (data-from/data-to in the page, so tests can see what is connected). */
  lines: { from: string; to: string; a: { x: number; y: number }; b: { x: number; y: number } }[];
};

export function layoutGraph(boxes: Iterable<Box>, edges: [string, string][]): Laid {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "LR", nodesep: 12, ranksep: 60 });
  g.setDefaultEdgeLabel(() => ({}));
  const drawn = new Map<string, Box>();
  for (const b of boxes) {
    drawn.set(b.id, b);
    g.setNode(b.id, { width: W, height: H });
  }
  const kept = edges.filter(([a, b]) => drawn.has(a) && drawn.has(b));
  for (const [a, b] of kept) g.setEdge(a, b);
  dagre.layout(g);
  const graph = g.graph();
  return {
    width: (graph.width ?? 0) + 20,
    height: (graph.height ?? 0) + 20,
    boxes: [...drawn.values()].map((d) => ({ ...d, x: g.node(d.id).x, y: g.node(d.id).y })),
    lines: kept.map(([from, to]) => ({ from, to, a: g.node(from), b: g.node(to) })),
  };
}

export function GraphSvg({ layout, testId, onClick }: { layout: Laid; testId: string; onClick: (b: Box) => void }) {
  return (
    <div className="tree-scroll" data-testid={testId}>
      <svg width={layout.width} height={layout.height}>
        {layout.lines.map(({ from, to, a, b }, i) => (
          <path
            key={i}
            data-from={from}
            data-to={to}
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
              onClick={() => onClick(b)}
            >
              <div className="ellipsis" title={b.label}>
                <b>{b.label}</b>
              </div>
              <div className="muted ellipsis" title={b.note}>
                {b.sub} {b.health && <StatusBadge status={b.health} />} {b.sync && <StatusBadge status={b.sync} />} {b.note}
              </div>
            </div>
          </foreignObject>
        ))}
      </svg>
    </div>
  );
}
