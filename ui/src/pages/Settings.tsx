import { useEffect, useState } from "react";
import { api } from "../api";
import { ErrorBox } from "./common";

type Repo = { repo: string; type?: string; name?: string; project?: string; connectionState?: { status?: string; message?: string } };
type Cluster = {
  server: string;
  name?: string;
  namespaces?: string[];
  labels?: Record<string, string>;
  connectionState?: { status?: string; message?: string };
  serverVersion?: string;
  info?: { applicationsCount?: number; serverVersion?: string; connectionState?: { status?: string; message?: string } };
};
type Project = {
  metadata: { name: string };
  spec: { sourceRepos?: string[]; destinations?: { server?: string; name?: string; namespace?: string }[]; syncWindows?: { kind?: string; schedule?: string; duration?: string }[] };
};

function useList<T>(path: string): [T[], string, () => void] {
  const [items, setItems] = useState<T[]>([]);
  const [error, setError] = useState("");
  const load = () =>
    api<{ items: T[] | null }>("GET", path)
      .then((r) => (setItems(r.items ?? []), setError("")))
      .catch((err: Error) => setError(err.message));
  useEffect(() => {
    load();
  }, [path]);
  return [items, error, load];
}

type Account = { name: string; enabled: boolean; capabilities?: string[]; tokens?: { id: string; issuedAt: number; expiresAt?: number }[] };

/** Repositories, clusters, projects and accounts, as the server lists them (credentials never included). */
export function Settings() {
  const [repos, repoError, reloadRepos] = useList<Repo>("api/v1/repositories");
  const [clusters, clusterError] = useList<Cluster>("api/v1/clusters");
  const [projects, projectError] = useList<Project>("api/v1/projects");
  const [accounts, accountError] = useList<Account>("api/v1/account");
  const [newRepo, setNewRepo] = useState("");
  const [error, setError] = useState("");
  const addRepo = async () => {
    try {
      await api("POST", "api/v1/repositories", { body: { repo: newRepo, type: "git" } });
      setNewRepo("");
      setError("");
      reloadRepos();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const removeRepo = async (url: string) => {
    if (!window.confirm(`Remove repository ${url}?`)) return;
    try {
      await api("DELETE", `api/v1/repositories/${encodeURIComponent(url)}`);
      reloadRepos();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <div className="page">
      <h2>Repositories</h2>
      <ErrorBox error={repoError || error} />
      <table className="table" data-testid="repositories">
        <thead>
          <tr>
            <th>Type</th>
            <th>Name</th>
            <th>Repository</th>
            <th>Project</th>
            <th>Connection</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {repos.map((r) => (
            <tr key={r.repo}>
              <td>{r.type || "git"}</td>
              <td>{r.name}</td>
              <td>{r.repo}</td>
              <td>{r.project}</td>
              <td title={r.connectionState?.message}>{r.connectionState?.status}</td>
              <td>
                <button onClick={() => removeRepo(r.repo)}>Remove</button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="toolbar">
        <input placeholder="https://git.example.com/repo.git" value={newRepo} onChange={(e) => setNewRepo(e.target.value)} aria-label="Repository URL" />
        <button onClick={addRepo} disabled={!newRepo}>
          Connect repository
        </button>
      </div>
      <h2>Clusters</h2>
      <ErrorBox error={clusterError} />
      <table className="table" data-testid="clusters">
        <thead>
          <tr>
            <th>Name</th>
            <th>Server</th>
            <th>Version</th>
            <th>Connection</th>
            <th>Apps</th>
          </tr>
        </thead>
        <tbody>
          {clusters.map((c) => {
            const state = c.info?.connectionState ?? c.connectionState;
            return (
              <tr key={c.server}>
                <td>{c.name}</td>
                <td>{c.server}</td>
                <td>{c.info?.serverVersion ?? c.serverVersion}</td>
                <td title={state?.message}>{state?.status}</td>
                <td>{c.info?.applicationsCount ?? ""}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <h2>Projects</h2>
      <ErrorBox error={projectError} />
      <table className="table" data-testid="projects">
        <thead>
          <tr>
            <th>Name</th>
            <th>Source repositories</th>
            <th>Destinations</th>
            <th>Sync windows</th>
          </tr>
        </thead>
        <tbody>
          {projects.map((p) => (
            <tr key={p.metadata.name}>
              <td>{p.metadata.name}</td>
              <td>{(p.spec.sourceRepos ?? []).join(", ")}</td>
              <td>{(p.spec.destinations ?? []).map((d) => `${d.name || d.server}/${d.namespace}`).join(", ")}</td>
              <td>{(p.spec.syncWindows ?? []).map((w) => `${w.kind} ${w.schedule} ${w.duration}`).join("; ")}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Accounts</h2>
      <ErrorBox error={accountError} />
      <table className="table" data-testid="accounts">
        <thead>
          <tr>
            <th>Name</th>
            <th>Enabled</th>
            <th>Capabilities</th>
            <th>Tokens</th>
          </tr>
        </thead>
        <tbody>
          {accounts.map((a) => (
            <tr key={a.name}>
              <td>{a.name}</td>
              <td>{a.enabled ? "yes" : "no"}</td>
              <td>{(a.capabilities ?? []).join(", ")}</td>
              <td>{(a.tokens ?? []).map((t) => t.id).join(", ")}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
