import { useDeferredValue, useEffect, useMemo, useRef, useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { useVirtualizer } from "@tanstack/react-virtual";
import { api } from "../api";
import { App, clusterOf, HEALTH_STATES, repoOf, SYNC_STATES, useLiveApps } from "../apps";
import { appObject, newAppObject, useCanEach, useControllerNamespace } from "../permissions";
import { StatusBadge, StreamBanner } from "./common";

type Facet = "project" | "sync" | "health" | "cluster" | "namespace" | "repo" | "autosync";

const FACETS: { key: Facet; label: string; of: (a: App) => string }[] = [
  { key: "sync", label: "Sync status", of: (a) => a.status?.sync?.status || "Unknown" },
  { key: "health", label: "Health status", of: (a) => a.status?.health?.status || "Unknown" },
  { key: "project", label: "Projects", of: (a) => a.spec.project || "default" },
  { key: "cluster", label: "Clusters", of: clusterOf },
  { key: "namespace", label: "Namespaces", of: (a) => a.spec.destination?.namespace || "" },
  { key: "repo", label: "Repositories", of: repoOf },
  { key: "autosync", label: "Auto sync", of: (a) => (a.spec.syncPolicy?.automated ? "Enabled" : "Disabled") },
];

const FAVOURITES_KEY = "argosy.favourites";

function loadFavourites(): Set<string> {
  try {
    return new Set(JSON.parse(localStorage.getItem(FAVOURITES_KEY) || "[]") as string[]);
  } catch {
    return new Set();
  }
}

/** The most frequent labels offered as checkboxes; the others are reached by the free-text selector. */
const LABELS_OFFERED = 30;

const labelPairs = (app: App): string[] => Object.entries(app.metadata.labels ?? {}).map(([k, v]) => `${k}=${v}`);

function labelsMatch(app: App, wanted: string): boolean {
  const labels = app.metadata.labels ?? {};
  return wanted
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .every((rule) => {
      const [key, value] = rule.split("=", 2);
      return value === undefined ? key in labels : labels[key] === value;
    });
}

export function AppsList() {
  const { apps, version, loading, error, stream } = useLiveApps();
  const [params, setParams] = useSearchParams();
  const [search, setSearch] = useState(params.get("search") ?? "");
  const deferredSearch = useDeferredValue(search);
  const [view, setView] = useState<"tiles" | "list">((params.get("view") as "tiles" | "list") || "tiles");
  const [sort, setSort] = useState<"name" | "created" | "sync">("name");
  const [labels, setLabels] = useState(params.get("labels") ?? "");
  const [favouritesOnly, setFavouritesOnly] = useState(false);
  const [favourites, setFavourites] = useState(loadFavourites);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [message, setMessage] = useState("");
  const pickedLabels = useMemo(() => new Set(params.getAll("label")), [params]);
  const filters: Record<Facet, Set<string>> = useMemo(() => {
    const out = {} as Record<Facet, Set<string>>;
    for (const f of FACETS) out[f.key] = new Set(params.getAll(f.key));
    return out;
  }, [params]);

  // Sync is offered for a selection when the user may sync at least one of its apps (can-i per app: a
  // policy such as `applications, sync, team/*` says no to `*/*`). As Argo CD's "Sync apps", every
  // selected app is then asked and each app the server refuses is reported with its message.
  const controllerNs = useControllerNamespace();
  const selectedObjects =
    controllerNs === null
      ? []
      : [...selected].flatMap((n) => {
          const app = apps.get(n);
          return app ? [appObject(app, controllerNs)] : [];
        });
  const maySyncApp = useCanEach("applications", "sync", selectedObjects);
  const maySync = selectedObjects.some(maySyncApp);
  // + New app when the user may create an app in some project: those of the loaded apps and those
  // listed (`<project>/*`, permissions.ts), so a policy such as `applications, create, team/*` counts.
  const [listedProjects, setListedProjects] = useState<string[]>([]);
  useEffect(() => {
    api<{ items?: { metadata: { name: string } }[] | null }>("GET", "api/v1/projects").then(
      (r) => setListedProjects((r.items ?? []).map((p) => p.metadata.name)),
      () => setListedProjects([]), // not allowed to list projects: the loaded apps' projects are asked
    );
  }, []);
  const projectsOfApps = useMemo(() => [...new Set(Array.from(apps.values(), (a) => a.spec.project || "default"))], [apps, version]);
  const createObjects = [...new Set(["default", ...listedProjects, ...projectsOfApps])].map(newAppObject);
  const mayCreateIn = useCanEach("applications", "create", createObjects);
  const mayCreate = createObjects.some(mayCreateIn);

  // Per data version (not per keystroke): each app's facet values and lower-cased name, sorted.
  const rows = useMemo(() => {
    const out = Array.from(apps.values(), (app) => ({
      app,
      name: app.metadata.name,
      lower: app.metadata.name.toLowerCase(),
      values: FACETS.map((f) => f.of(app)),
      labels: labelPairs(app),
    }));
    const key =
      sort === "created"
        ? (a: App) => a.metadata.creationTimestamp ?? ""
        : sort === "sync"
          ? (a: App) => a.status?.sync?.status ?? ""
          : (a: App) => a.metadata.name;
    const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
    out.sort((a, b) => {
      const fa = favourites.has(a.name) ? 0 : 1;
      const fb = favourites.has(b.name) ? 0 : 1;
      return fa - fb || cmp(key(a.app), key(b.app)) || cmp(a.name, b.name);
    });
    return out;
  }, [apps, version, sort, favourites]);
  const all = rows;

  // Counts per facet value over the apps that pass every *other* filter, as Argo CD shows them; the
  // labels' counts over the apps shown (below).
  const { visible, counts, labelCounts } = useMemo(() => {
    const needle = deferredSearch.trim().toLowerCase();
    const active = FACETS.map((f) => (filters[f.key].size > 0 ? filters[f.key] : null));
    const counts = FACETS.map(() => new Map<string, number>());
    const labelCounts = new Map<string, number>();
    const picked = [...pickedLabels];
    const visible: App[] = [];
    for (const row of rows) {
      if (needle && !row.lower.includes(needle)) continue;
      if (labels && !labelsMatch(row.app, labels)) continue;
      if (picked.length && !picked.every((l) => row.labels.includes(l))) continue;
      if (favouritesOnly && !favourites.has(row.name)) continue;
      let failing = 0;
      let failed = -1;
      for (let i = 0; i < active.length; i++) {
        if (active[i] && !active[i]!.has(row.values[i])) {
          failing++;
          failed = i;
        }
      }
      if (failing > 1) continue;
      for (let i = 0; i < FACETS.length; i++) {
        if (failing === 0 || failed === i) counts[i].set(row.values[i], (counts[i].get(row.values[i]) ?? 0) + 1);
      }
      if (failing === 0) {
        visible.push(row.app);
        for (const l of row.labels) labelCounts.set(l, (labelCounts.get(l) ?? 0) + 1);
      }
    }
    const byFacet = {} as Record<Facet, Map<string, number>>;
    FACETS.forEach((f, i) => (byFacet[f.key] = counts[i]));
    return { visible, counts: byFacet, labelCounts };
  }, [rows, deferredSearch, labels, pickedLabels, favouritesOnly, favourites, filters]);

  // Labels narrow (an app must carry every picked label, as Argo CD's label filter), so a label's
  // count is how many of the shown apps carry it: what picking it leaves. Picked ones stay listed.
  const offeredLabels = useMemo(() => {
    const top = [...labelCounts]
      .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
      .slice(0, LABELS_OFFERED)
      .map(([l]) => l);
    return [...new Set([...pickedLabels, ...top])].sort();
  }, [labelCounts, pickedLabels]);

  const toggleFilter = (facet: Facet | "label", value: string) => {
    const next = new URLSearchParams(params);
    const values = new Set(next.getAll(facet));
    if (values.has(value)) values.delete(value);
    else values.add(value);
    next.delete(facet);
    values.forEach((v) => next.append(facet, v));
    setParams(next, { replace: true });
  };

  const toggleFavourite = (name: string) => {
    const next = new Set(favourites);
    if (next.has(name)) next.delete(name);
    else next.add(name);
    localStorage.setItem(FAVOURITES_KEY, JSON.stringify([...next]));
    setFavourites(next);
  };

  const act = async (what: "sync" | "refresh" | "hard") => {
    const names = [...selected];
    const failures: string[] = [];
    await Promise.all(
      names.map((name) =>
        (what === "sync"
          ? api("POST", `api/v1/applications/${name}/sync`, { body: {} })
          : api("GET", `api/v1/applications/${name}`, { query: { refresh: what === "hard" ? "hard" : "normal" } })
        ).catch((err: Error) => failures.push(`${name}: ${err.message}`)),
      ),
    );
    const done = `${what === "sync" ? "Sync" : "Refresh"} requested for ${names.length - failures.length} of ${names.length} app(s)`;
    setMessage([done, ...failures.sort()].join("\n"));
  };

  const summary = useMemo(() => {
    const by = (of: (a: App) => string) => {
      const m = new Map<string, number>();
      for (const a of visible) m.set(of(a), (m.get(of(a)) ?? 0) + 1);
      return m;
    };
    return { sync: by((a) => a.status?.sync?.status || "Unknown"), health: by((a) => a.status?.health?.status || "Unknown") };
  }, [visible]);

  return (
    <div className="apps-page">
      <aside className="filters">
        <label className="facet-title">
          <input type="checkbox" checked={favouritesOnly} onChange={(e) => setFavouritesOnly(e.target.checked)} />{" "}
          Favourites only
        </label>
        <div className="facet" data-testid="facet-labels">
          <div className="facet-title">Labels</div>
          <input
            placeholder="key=value,key2"
            value={labels}
            aria-label="Filter by labels"
            onChange={(e) => setLabels(e.target.value)}
          />
          {offeredLabels.map((l) => (
            <label key={l} title={l}>
              <input type="checkbox" checked={pickedLabels.has(l)} onChange={() => toggleFilter("label", l)} /> {l}{" "}
              <span className="count">{labelCounts.get(l) ?? 0}</span>
            </label>
          ))}
          {labelCounts.size > offeredLabels.filter((l) => labelCounts.has(l)).length && (
            <small className="muted">
              {labelCounts.size - offeredLabels.filter((l) => labelCounts.has(l)).length} more: type them above
            </small>
          )}
        </div>
        {FACETS.map((f) => {
          const values = new Set<string>([
            ...(f.key === "sync" ? SYNC_STATES : f.key === "health" ? HEALTH_STATES : []),
            ...counts[f.key].keys(),
            ...filters[f.key],
          ]);
          return (
            <div className="facet" key={f.key} data-testid={`facet-${f.key}`}>
              <div className="facet-title">{f.label}</div>
              {[...values].sort().map((v) => (
                <label key={v}>
                  <input type="checkbox" checked={filters[f.key].has(v)} onChange={() => toggleFilter(f.key, v)} />{" "}
                  {v || "(none)"} <span className="count">{counts[f.key].get(v) ?? 0}</span>
                </label>
              ))}
            </div>
          );
        })}
      </aside>
      <main className="apps-main">
        <StreamBanner state={stream} />
        <div className="toolbar">
          <input
            className="search"
            placeholder="Search applications…"
            aria-label="Search applications"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
          />
          <select value={sort} onChange={(e) => setSort(e.target.value as typeof sort)} aria-label="Sort">
            <option value="name">Sort: name</option>
            <option value="created">Sort: created</option>
            <option value="sync">Sort: sync status</option>
          </select>
          <button onClick={() => setView(view === "tiles" ? "list" : "tiles")}>
            {view === "tiles" ? "List view" : "Tiles view"}
          </button>
          {mayCreate && (
            <Link to="/applications/new" className="button primary">
              + New app
            </Link>
          )}
          {selected.size > 0 && (
            <>
              <span>{selected.size} selected</span>
              {maySync && <button onClick={() => act("sync")}>Sync</button>}
              <button onClick={() => act("refresh")}>Refresh</button>
              <button onClick={() => act("hard")}>Hard refresh</button>
              <button onClick={() => setSelected(new Set())}>Clear</button>
            </>
          )}
        </div>
        <div className="summary" data-testid="summary">
          <span data-testid="app-count">
            {visible.length} of {all.length} applications
          </span>
          <span className="muted">Sync:</span>
          {[...summary.sync].map(([k, v]) => (
            <StatusBadge key={"s" + k} status={k} count={v} />
          ))}
          <span className="muted">Health:</span>
          {[...summary.health].map(([k, v]) => (
            <StatusBadge key={"h" + k} status={k} count={v} />
          ))}
        </div>
        {message && (
          <pre className="notice" data-testid="list-notice" onClick={() => setMessage("")}>
            {message}
          </pre>
        )}
        {error && (
          <div className="error" role="alert">
            {error}
          </div>
        )}
        {loading && all.length === 0 ? (
          <div>Loading applications…</div>
        ) : (
          <AppGrid
            apps={visible}
            view={view}
            favourites={favourites}
            selected={selected}
            onFavourite={toggleFavourite}
            onSelect={(name) => {
              const next = new Set(selected);
              if (next.has(name)) next.delete(name);
              else next.add(name);
              setSelected(next);
            }}
          />
        )}
      </main>
    </div>
  );
}

function AppGrid(props: {
  apps: App[];
  view: "tiles" | "list";
  favourites: Set<string>;
  selected: Set<string>;
  onFavourite: (name: string) => void;
  onSelect: (name: string) => void;
}) {
  const parent = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(1200);
  useEffect(() => {
    if (!parent.current) return;
    const observer = new ResizeObserver((entries) => setWidth(entries[0].contentRect.width));
    observer.observe(parent.current);
    return () => observer.disconnect();
  }, []);
  const columns = props.view === "tiles" ? Math.max(1, Math.floor(width / 320)) : 1;
  const rows = Math.ceil(props.apps.length / columns);
  const virtualizer = useVirtualizer({
    count: rows,
    getScrollElement: () => parent.current,
    estimateSize: () => (props.view === "tiles" ? 150 : 36),
    overscan: 6,
  });
  return (
    <div ref={parent} className="app-scroll" data-testid="app-scroll">
      <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
        {virtualizer.getVirtualItems().map((row) => (
          <div
            key={row.key}
            className={props.view === "tiles" ? "tile-row" : "list-row"}
            style={{ position: "absolute", top: 0, left: 0, right: 0, transform: `translateY(${row.start}px)`, height: row.size }}
          >
            {props.apps.slice(row.index * columns, row.index * columns + columns).map((app) => (
              <AppCard key={app.metadata.name} app={app} {...props} />
            ))}
          </div>
        ))}
      </div>
    </div>
  );
}

function AppCard({
  app,
  view,
  favourites,
  selected,
  onFavourite,
  onSelect,
}: {
  app: App;
  view: "tiles" | "list";
  favourites: Set<string>;
  selected: Set<string>;
  onFavourite: (name: string) => void;
  onSelect: (name: string) => void;
}) {
  const name = app.metadata.name;
  const sync = app.status?.sync?.status || "Unknown";
  const health = app.status?.health?.status || "Unknown";
  return (
    <div className={view === "tiles" ? "tile" : "line"} data-testid="app-card" data-app={name} data-sync={sync} data-health={health}>
      <input type="checkbox" aria-label={`select ${name}`} checked={selected.has(name)} onChange={() => onSelect(name)} />
      <button className="star" aria-label={`favourite ${name}`} onClick={() => onFavourite(name)}>
        {favourites.has(name) ? "★" : "☆"}
      </button>
      <Link to={`/applications/${name}`} className="app-name">
        {name}
      </Link>
      <StatusBadge status={health} />
      <StatusBadge status={sync} />
      {app.status?.operationState?.phase === "Running" && <StatusBadge status="Syncing" />}
      {view === "tiles" ? (
        <dl>
          <dt>Project</dt>
          <dd>{app.spec.project || "default"}</dd>
          <dt>Repository</dt>
          <dd className="ellipsis">{repoOf(app)}</dd>
          <dt>Destination</dt>
          <dd className="ellipsis">
            {clusterOf(app)} / {app.spec.destination?.namespace}
          </dd>
        </dl>
      ) : (
        <span className="ellipsis muted">
          {app.spec.project || "default"} · {repoOf(app)} · {app.spec.destination?.namespace}
        </span>
      )}
    </div>
  );
}
