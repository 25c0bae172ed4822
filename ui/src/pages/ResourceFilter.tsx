// One filter for an application's resources, shared by the Tree and List views: the filter lives in the
// details page, so switching between the two keeps it, and both show the same resources for it.
import { useMemo, useState } from "react";
import type { TreeNode } from "./ResourceTree";

export type ResourceFilter = { kind: string; sync: string; health: string };
const NONE: ResourceFilter = { kind: "", sync: "", health: "" };

/** What each select reads from a node ("" = the resource has none, e.g. a Pod's sync status). */
const FIELDS: { key: keyof ResourceFilter; label: string; any: string; of: (n: TreeNode) => string }[] = [
  { key: "kind", label: "kind", any: "All kinds", of: (n) => n.kind },
  { key: "sync", label: "sync status", any: "Any sync status", of: (n) => n.status ?? "" },
  { key: "health", label: "health", any: "Any health", of: (n) => n.health?.status ?? "" },
];

function matches(n: TreeNode, filter: ResourceFilter): boolean {
  return FIELDS.every((f) => !filter[f.key] || f.of(n) === filter[f.key]);
}

/** The filter's state and the nodes that pass it (recomputed when either changes). */
export function useResourceFilter(nodes: TreeNode[]): {
  filter: ResourceFilter;
  setFilter: (f: ResourceFilter) => void;
  shown: TreeNode[];
} {
  const [filter, setFilter] = useState<ResourceFilter>(NONE);
  const shown = useMemo(() => nodes.filter((n) => matches(n, filter)), [nodes, filter]);
  return { filter, setFilter, shown };
}

/**
 * Kind, sync status and health selects; each offers the values the resources have, with how many
 * resources would be shown when picking it (the other two selects applied), as the list's facets.
 */
export function ResourceFilterBar({
  nodes,
  shown,
  filter,
  onChange,
}: {
  nodes: TreeNode[];
  shown: number;
  filter: ResourceFilter;
  onChange: (f: ResourceFilter) => void;
}) {
  const counts = useMemo(
    () =>
      FIELDS.map((f) => {
        const others = { ...filter, [f.key]: "" };
        const m = new Map<string, number>();
        for (const n of nodes) if (matches(n, others)) m.set(f.of(n), (m.get(f.of(n)) ?? 0) + 1);
        if (filter[f.key] && !m.has(filter[f.key])) m.set(filter[f.key], 0); // the picked one stays offered
        return m;
      }),
    [nodes, filter],
  );
  return (
    <div className="toolbar" data-testid="resource-filter">
      {FIELDS.map((f, i) => (
        <select
          key={f.key}
          value={filter[f.key]}
          onChange={(e) => onChange({ ...filter, [f.key]: e.target.value })}
          aria-label={`Filter resources by ${f.label}`}
        >
          <option value="">{f.any}</option>
          {[...counts[i]]
            .filter(([v]) => v !== "")
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
            .map(([v, c]) => (
              <option key={v} value={v}>
                {v} ({c})
              </option>
            ))}
        </select>
      ))}
      <span className="muted" data-testid="resource-count">
        {shown === nodes.length ? `${nodes.length} resources` : `${shown} of ${nodes.length} resources`}
      </span>
      {shown !== nodes.length && <button onClick={() => onChange(NONE)}>Clear filters</button>}
    </div>
  );
}
