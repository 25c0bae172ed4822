import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from "react";
import { useNavigate, useParams } from "react-router-dom";
import YAML from "yaml";
import { api, canI, openStream, StreamState } from "../api";
import { parseYaml } from "../yamlProblems";
import { appObject, useControllerNamespace } from "../permissions";
import { ErrorBox, Events, StatusBadge, StreamBanner } from "./common";
import { keyOf, ResourceTree, TreeNode } from "./ResourceTree";
import { ResourceFilterBar, useResourceFilter } from "./ResourceFilter";
import { NetworkView } from "./NetworkView";
import { useResourceTree, withSyncStatus } from "../liveTree";
import { CommitSummary } from "./revisions";
// The diff viewer is the heaviest library: loaded when a resource is first opened.
// The YAML editor (CodeMirror) too: loaded when the spec editor is opened.
const YamlEditor = lazy(() => import("./YamlEditor"));
const ResourcePanel = lazy(() => import("./ResourcePanel").then((m) => ({ default: m.ResourcePanel })));
import { SyncPanel } from "./SyncPanel";
import { Parameters } from "./AppParameters";

export type FullApp = {
  metadata: { name: string; namespace: string; resourceVersion?: string; deletionTimestamp?: string };
  spec: Record<string, unknown> & { project?: string; source?: { repoURL?: string; targetRevision?: string; chart?: string } };
  operation?: unknown;
  status?: {
    sync?: { status?: string; revision?: string };
    reconciledAt?: string;
    health?: { status?: string; message?: string };
    conditions?: { type: string; message: string }[];
    operationState?: {
      phase?: string;
      message?: string;
      startedAt?: string;
      finishedAt?: string;
      syncResult?: { resources?: { kind: string; name: string; namespace?: string; status?: string; message?: string; hookPhase?: string }[] };
    };
    history?: { id: number; revision?: string; deployedAt?: string; source?: { repoURL?: string; targetRevision?: string; chart?: string } }[];
    resources?: TreeNode[];
  };
};

type Tab = "tree" | "list" | "network" | "parameters" | "history" | "spec" | "events";
const TAB_LABELS: Record<Tab, string> = {
  tree: "Tree",
  list: "List",
  network: "Network",
  parameters: "Parameters",
  history: "History and rollback",
  spec: "Edit spec",
  events: "Events",
};

export function AppDetail() {
  const { name = "" } = useParams();
  const navigate = useNavigate();
  const [app, setApp] = useState<FullApp | null>(null);
  const [error, setError] = useState("");
  const [stream, setStream] = useState<StreamState>({ connected: false, retryIn: 0, error: "" });
  const [tab, setTab] = useState<Tab>("tree");
  const [selected, setSelected] = useState<TreeNode | null>(null);
  const [syncOpen, setSyncOpen] = useState(false);
  const [notice, setNotice] = useState("");
  const [may, setMay] = useState({ sync: false, update: false, delete: false, logs: false });
  // One source for the Tree, List and Network views, open while the page is: tab switches keep it.
  const tree = useResourceTree(name);

  // can-i for this application's own RBAC object (permissions.ts), so project-scoped policies count
  const controllerNs = useControllerNamespace();
  const object = app && controllerNs !== null ? appObject(app, controllerNs) : "";
  useEffect(() => {
    if (!object) return;
    Promise.all([...["sync", "update", "delete"].map((a) => canI("applications", a, object)), canI("logs", "get", object)]).then(
      ([sync, update, del, logs]) => setMay({ sync, update, delete: del, logs }),
    );
  }, [object]);

  useEffect(() => {
    setApp(null);
    api<FullApp>("GET", `api/v1/applications/${name}`)
      .then(setApp)
      .catch((err: Error) => setError(err.message));
    return openStream(
      "api/v1/stream/applications",
      () => ({ name }),
      (data) => {
        const event = (data as { result?: { type?: string; application?: FullApp } }).result;
        if (!event?.application) return;
        if (event.type === "DELETED") {
          setNotice(`Application ${name} was deleted.`);
          return;
        }
        setApp(event.application);
      },
      setStream,
    );
  }, [name]);

  const act = useCallback(
    async (what: () => Promise<unknown>, done: string) => {
      setError("");
      try {
        await what();
        setNotice(done);
      } catch (err) {
        setError((err as Error).message);
      }
    },
    [],
  );

  // Until the first tree arrives, the managed resources the app itself lists (no children yet).
  const nodes = useMemo(() => {
    const resources = app?.status?.resources ?? [];
    return withSyncStatus(tree.nodes ?? resources, resources);
  }, [app, tree.nodes]);
  // Tree and List show the same filtered resources; the filter stays when switching between them.
  const filtered = useResourceFilter(nodes);
  if (!app)
    return (
      <div className="page">
        <ErrorBox error={error} />
        {!error && "Loading…"}
      </div>
    );
  // the selected node as the tree now shows it, and what tells the panel to re-read its manifests:
  // the node itself (sync, health) and each reconciliation (a live change that keeps the status)
  const current = selected && (nodes.find((n) => keyOf(n) === keyOf(selected)) ?? selected);
  const panelVersion = current ? `${JSON.stringify(current)} ${app.status?.reconciledAt ?? ""}` : "";
  const op = app.status?.operationState;
  const running = Boolean(app.operation) || op?.phase === "Running";
  return (
    <div className="page detail">
      {/* the app's stream or, when that one is fine, the tree's */}
      <StreamBanner state={!stream.connected && stream.error ? stream : tree.stream} />
      <header className="app-header">
        <h2 data-testid="app-title">{name}</h2>
        <div className="status-box">
          <div>App health</div>
          <StatusBadge status={app.status?.health?.status || "Unknown"} />
          <small>{app.status?.health?.message}</small>
        </div>
        <div className="status-box" data-testid="sync-status">
          <div>Sync status</div>
          <StatusBadge status={app.status?.sync?.status || "Unknown"} />
          <small>to {app.spec.source?.targetRevision || "HEAD"} ({(app.status?.sync?.revision || "").slice(0, 7)})</small>
          {/* a Helm chart version has no commit to describe; multi-source apps: the first source's */}
          {!app.spec.source?.chart && <CommitSummary app={name} revision={app.status?.sync?.revision} testId="revision-metadata" />}
        </div>
        <div className="status-box" data-testid="operation-state">
          <div>Last sync</div>
          {op?.phase ? <StatusBadge status={op.phase} /> : <span className="muted">never</span>}
          <small>{op?.message}</small>
        </div>
        <div className="actions">
          {may.sync && (
            <button className="primary" onClick={() => setSyncOpen(true)}>
              Sync
            </button>
          )}
          <button onClick={() => act(() => api("GET", `api/v1/applications/${name}`, { query: { refresh: "normal" } }), "Refresh requested")}>
            Refresh
          </button>
          <button onClick={() => act(() => api("GET", `api/v1/applications/${name}`, { query: { refresh: "hard" } }), "Hard refresh requested")}>
            Hard refresh
          </button>
          {may.sync && running && (
            <button onClick={() => act(() => api("DELETE", `api/v1/applications/${name}/operation`), "Termination requested")}>
              Terminate
            </button>
          )}
          {may.delete && <DeleteButton name={name} onDeleted={() => navigate("/applications")} onError={setError} />}
        </div>
      </header>
      {(app.status?.conditions ?? []).map((c, i) => (
        <div className="warning" key={i}>
          {c.type}: {c.message}
        </div>
      ))}
      <ErrorBox error={error} />
      {notice && (
        <div className="notice" onClick={() => setNotice("")}>
          {notice}
        </div>
      )}
      {op?.syncResult?.resources && op.syncResult.resources.length > 0 && (
        <details className="op-results">
          <summary>Last operation: {op.syncResult.resources.length} resources</summary>
          <table className="table">
            <tbody>
              {op.syncResult.resources.map((r, i) => (
                <tr key={i}>
                  <td>{r.kind}</td>
                  <td>{r.name}</td>
                  <td>{r.status}</td>
                  <td>{r.hookPhase}</td>
                  <td>{r.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
      <div className="tabs">
        {(Object.keys(TAB_LABELS) as Tab[]).map((t) => (
          <button key={t} className={t === tab ? "active" : ""} onClick={() => setTab(t)}>
            {TAB_LABELS[t]}
          </button>
        ))}
      </div>
      {["tree", "list", "network"].includes(tab) && <ErrorBox error={tree.error} />}
      {(tab === "tree" || tab === "list") && (
        <ResourceFilterBar nodes={nodes} shown={filtered.shown.length} filter={filtered.filter} onChange={filtered.setFilter} />
      )}
      {tab === "tree" && <ResourceTree appName={name} nodes={filtered.shown} onSelect={setSelected} />}
      {tab === "list" && <ResourceList nodes={filtered.shown} onSelect={setSelected} />}
      {tab === "network" && <NetworkView nodes={tree.nodes && nodes} onSelect={setSelected} />}
      {tab === "parameters" && <Parameters app={app} mayUpdate={may.update} onDone={setNotice} />}
      {tab === "history" && <History app={app} maySync={may.sync} onDone={setNotice} onError={setError} />}
      {tab === "spec" && <SpecEditor app={app} mayUpdate={may.update} onDone={setNotice} />}
      {tab === "events" && <Events name={name} />}
      {current && (
        <Suspense fallback={<div className="side-panel">Loading…</div>}>
          <ResourcePanel
            key={keyOf(current)}
            appName={name}
            node={current}
            version={panelVersion}
            canReadLogs={may.logs}
            onClose={() => setSelected(null)}
          />
        </Suspense>
      )}
      {syncOpen && <SyncPanel app={app} onClose={() => setSyncOpen(false)} onStarted={() => setNotice("Sync started")} />}
    </div>
  );
}

function ResourceList({ nodes, onSelect }: { nodes: TreeNode[]; onSelect: (n: TreeNode) => void }) {
  return (
    <table className="table" data-testid="resource-list">
      <thead>
        <tr>
          <th>Kind</th>
          <th>Namespace</th>
          <th>Name</th>
          <th>Sync</th>
          <th>Health</th>
        </tr>
      </thead>
      <tbody>
        {nodes.map((n) => (
          <tr
            key={`${n.group}/${n.kind}/${n.namespace}/${n.name}`}
            onClick={() => onSelect(n)}
            className="clickable"
            data-kind={n.kind}
            data-name={n.name}
          >
            <td>{n.kind}</td>
            <td>{n.namespace}</td>
            <td>{n.name}</td>
            <td>{n.status && <StatusBadge status={n.status} />}</td>
            <td>{n.health?.status && <StatusBadge status={n.health.status} />}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function History({ app, maySync, onDone, onError }: { app: FullApp; maySync: boolean; onDone: (m: string) => void; onError: (m: string) => void }) {
  const history = [...(app.status?.history ?? [])].reverse();
  if (!history.length) return <div className="muted">No sync history yet.</div>;
  const rollback = async (id: number) => {
    if (!window.confirm(`Roll back ${app.metadata.name} to history ${id}? Auto-sync will be disabled.`)) return;
    try {
      await api("POST", `api/v1/applications/${app.metadata.name}/rollback`, { body: { id } });
      onDone(`Rollback to ${id} started`);
    } catch (err) {
      onError((err as Error).message);
    }
  };
  return (
    <table className="table" data-testid="history">
      <thead>
        <tr>
          <th>ID</th>
          <th>Revision</th>
          <th>Commit</th>
          <th>Deployed at</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {history.map((h) => (
          <tr key={h.id}>
            <td>{h.id}</td>
            <td>{h.revision}</td>
            <td>{!h.source?.chart && <CommitSummary app={app.metadata.name} revision={h.revision} versionId={h.id} />}</td>
            <td>{h.deployedAt}</td>
            <td>{maySync && <button onClick={() => rollback(h.id)}>Rollback</button>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function SpecEditor({ app, mayUpdate, onDone }: { app: FullApp; mayUpdate: boolean; onDone: (m: string) => void }) {
  const [text, setText] = useState(() => YAML.stringify(app.spec));
  const [error, setError] = useState("");
  const save = async () => {
    setError("");
    // a YAML error is already marked on its line; the server judges everything else
    const parsed = parseYaml(text);
    if ("error" in parsed) {
      setError(parsed.error);
      return;
    }
    try {
      await api("PUT", `api/v1/applications/${app.metadata.name}/spec`, { body: parsed.value });
      setError("");
      onDone("Spec saved");
    } catch (err) {
      setError((err as Error).message); // shown below and on the line of each field it names
    }
  };
  return (
    <div>
      <Suspense fallback={<div className="yaml">Loading editor…</div>}>
        <YamlEditor value={text} onChange={setText} readOnly={!mayUpdate} label="Application spec" serverError={error} root={["spec"]} />
      </Suspense>
      <ErrorBox error={error} />
      {mayUpdate && (
        <button className="primary" onClick={save}>
          Save
        </button>
      )}
    </div>
  );
}

function DeleteButton({ name, onDeleted, onError }: { name: string; onDeleted: () => void; onError: (m: string) => void }) {
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState("");
  const [policy, setPolicy] = useState("foreground");
  if (!open) return <button onClick={() => setOpen(true)}>Delete</button>;
  const remove = async () => {
    try {
      const query = policy === "non-cascade" ? { cascade: "false" } : { cascade: "true", propagationPolicy: policy };
      await api("DELETE", `api/v1/applications/${name}`, { query });
      onDeleted();
    } catch (err) {
      onError((err as Error).message);
    }
  };
  return (
    <div className="modal">
      <div className="card">
        <h3>Delete {name}?</h3>
        <label>
          Propagation policy
          <select value={policy} onChange={(e) => setPolicy(e.target.value)}>
            <option value="foreground">Foreground (cascade)</option>
            <option value="background">Background (cascade)</option>
            <option value="non-cascade">Non-cascading (keep resources)</option>
          </select>
        </label>
        <label>
          Type the application name to confirm
          <input value={typed} onChange={(e) => setTyped(e.target.value)} aria-label="Confirm application name" />
        </label>
        <button className="danger" disabled={typed !== name} onClick={remove}>
          Delete
        </button>
        <button onClick={() => setOpen(false)}>Cancel</button>
      </div>
    </div>
  );
}
