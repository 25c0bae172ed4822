import { useState, type CSSProperties } from "react";
import { api } from "../../api";
import { ErrorBox } from "../common";
import { scopedObject, useCan, useCanEach } from "../../permissions";
import { attempt, useList } from "./shared";

type Repo = { repo: string; type?: string; name?: string; project?: string; connectionState?: { status?: string; message?: string } };
type RepoCreds = { url: string; username?: string; type?: string; hasPassword?: boolean; hasSSHPrivateKey?: boolean; hasTLSClientCert?: boolean };

/** A textarea cannot be type=password: its text is drawn as discs instead (Chromium, WebKit). */
const MASKED = { WebkitTextSecurity: "disc" } as CSSProperties;
const EMPTY_REPO = { repo: "", type: "git", name: "", project: "", username: "", password: "", sshPrivateKey: "", insecure: false };

/** Repositories and credential templates (repo-creds): the server returns neither passwords nor keys. */
export function Repositories() {
  const [repos, repoError, reloadRepos] = useList<Repo>("api/v1/repositories");
  const [creds, credsError, reloadCreds] = useList<RepoCreds>("api/v1/repocreds");
  // Connecting a new repository or template: its object is not known yet ("*"). Testing and removing one:
  // asked for that repository (a policy may allow only one project's repositories); a template is its URL.
  const mayCreate = useCan("repositories", "create");
  const objects = repos.map((r) => scopedObject(r.repo, r.project));
  const mayTest = useCanEach("repositories", "create", objects);
  const mayDelete = useCanEach("repositories", "delete", [...objects, ...creds.map((c) => c.url)]);
  const [draft, setDraft] = useState(EMPTY_REPO);
  const [draftTest, setDraftTest] = useState("");
  const [error, setError] = useState("");
  const [tested, setTested] = useState<Record<string, string>>({});
  // Argo CD's ValidateAccess: the repo server reaches the repository with its stored (or template) credentials.
  const testRepo = async (url: string, project?: string) => {
    setTested((t) => ({ ...t, [url]: "testing…" }));
    try {
      await api("POST", `api/v1/repositories/${encodeURIComponent(url)}/validate`, { body: { project: project ?? "" } });
      setTested((t) => ({ ...t, [url]: "Successful" }));
    } catch (err) {
      setTested((t) => ({ ...t, [url]: `Failed: ${(err as Error).message}` }));
    }
  };
  const [tmpl, setTmpl] = useState({ url: "", username: "", password: "", sshPrivateKey: "" });

  // Only the fields set are sent; secrets stay in this form until it is saved or cleared, and the server never
  // returns them (the list shows no password or key).
  const draftBody = () => {
    const body: Record<string, unknown> = { repo: draft.repo.trim(), type: draft.type };
    for (const key of ["name", "project", "username", "password", "sshPrivateKey"] as const) if (draft[key]) body[key] = draft[key];
    if (draft.insecure) body.insecure = true;
    return body;
  };
  const testDraft = async () => {
    setDraftTest("testing…");
    try {
      await api("POST", `api/v1/repositories/${encodeURIComponent(draft.repo.trim())}/validate`, { body: draftBody() });
      setDraftTest("Successful");
    } catch (err) {
      setDraftTest(`Failed: ${(err as Error).message}`);
    }
  };
  const addRepo = () =>
    attempt(setError, () => api("POST", "api/v1/repositories", { body: draftBody() })).then(
      (ok) => ok && (setDraft(EMPTY_REPO), setDraftTest(""), reloadRepos()),
    );
  const repoProblem = !draft.repo.trim()
    ? "the repository URL is required"
    : draft.type === "helm" && !draft.name.trim()
      ? "a Helm repository needs a name"
      : draft.type === "helm" && draft.sshPrivateKey
        ? "a Helm repository is reached over HTTPS: give a username/password, not an SSH key"
        : draft.password && draft.sshPrivateKey
          ? "give a username/password or an SSH private key, not both"
          : draft.password && !draft.username
            ? "a password needs a username"
            : "";
  const removeRepo = (url: string) =>
    window.confirm(`Remove repository ${url}?`) &&
    attempt(setError, () => api("DELETE", `api/v1/repositories/${encodeURIComponent(url)}`)).then(reloadRepos);
  const addTemplate = () =>
    attempt(setError, () => api("POST", "api/v1/repocreds", { body: tmpl })).then(
      (ok) => ok && (setTmpl({ url: "", username: "", password: "", sshPrivateKey: "" }), reloadCreds()),
    );
  const removeTemplate = (url: string) =>
    window.confirm(`Delete the credential template ${url}?`) &&
    attempt(setError, () => api("DELETE", `api/v1/repocreds/${encodeURIComponent(url)}`)).then(reloadCreds);
  // Forms validate before they submit: a template needs a URL prefix and one kind of credential.
  const templateProblem = !tmpl.url
    ? "the URL prefix is required"
    : tmpl.password && tmpl.sshPrivateKey
      ? "give a username/password or an SSH private key, not both"
      : !tmpl.password && !tmpl.sshPrivateKey
        ? "give a password or an SSH private key"
        : "";

  return (
    <section>
      <h2>Repositories</h2>
      <ErrorBox error={repoError || credsError || error} />
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
              <td title={r.connectionState?.message} data-testid="repo-connection">
                {tested[r.repo] ?? r.connectionState?.status}
              </td>
              <td>
                {mayTest(scopedObject(r.repo, r.project)) && <button onClick={() => testRepo(r.repo, r.project)}>Test connection</button>}{" "}
                {mayDelete(scopedObject(r.repo, r.project)) && <button onClick={() => removeRepo(r.repo)}>Remove</button>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {mayCreate && (
        <div className="form" data-testid="repository-form">
          <label>
            Type
            <select value={draft.type} onChange={(e) => setDraft({ ...draft, type: e.target.value })} aria-label="Repository type">
              <option value="git">git</option>
              <option value="helm">helm</option>
            </select>
          </label>
          <label>
            Repository URL
            <input placeholder="https://git.example.com/repo.git" value={draft.repo} onChange={(e) => setDraft({ ...draft, repo: e.target.value })} aria-label="Repository URL" />
          </label>
          <label>
            Name
            <input value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} aria-label="Repository name" />
          </label>
          <label>
            Project (empty: every project)
            <input value={draft.project} onChange={(e) => setDraft({ ...draft, project: e.target.value })} aria-label="Repository project" />
          </label>
          <label>
            Username
            <input value={draft.username} autoComplete="off" onChange={(e) => setDraft({ ...draft, username: e.target.value })} aria-label="Repository username" />
          </label>
          <label>
            Password or token
            <input type="password" value={draft.password} autoComplete="new-password" onChange={(e) => setDraft({ ...draft, password: e.target.value })} aria-label="Repository password" />
          </label>
          {draft.type === "git" && (
            <label>
              SSH private key
              <textarea
                rows={3}
                value={draft.sshPrivateKey}
                onChange={(e) => setDraft({ ...draft, sshPrivateKey: e.target.value })}
                aria-label="Repository SSH private key"
                autoComplete="off"
                spellCheck={false}
                style={MASKED}
              />
            </label>
          )}
          <label>
            <input type="checkbox" checked={draft.insecure} onChange={(e) => setDraft({ ...draft, insecure: e.target.checked })} /> Skip server verification (insecure TLS)
          </label>
          <div className="toolbar">
            <button onClick={testDraft} disabled={!!repoProblem} title={repoProblem}>
              Test connection
            </button>
            <button className="primary" onClick={addRepo} disabled={!!repoProblem} title={repoProblem}>
              Connect repository
            </button>
            <span className="muted" data-testid="repository-form-status">
              {repoProblem || draftTest}
            </span>
          </div>
        </div>
      )}
      <h3>Credential templates</h3>
      <p className="muted">A repository without credentials of its own uses the template whose URL is the longest prefix of its URL.</p>
      <table className="table" data-testid="repocreds">
        <thead>
          <tr>
            <th>URL prefix</th>
            <th>Username</th>
            <th>Credential</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {creds.map((c) => (
            <tr key={c.url}>
              <td>{c.url}</td>
              <td>{c.username}</td>
              <td>{[c.hasPassword && "password", c.hasSSHPrivateKey && "SSH key", c.hasTLSClientCert && "TLS client certificate"].filter(Boolean).join(", ")}</td>
              <td>{mayDelete(c.url) && <button onClick={() => removeTemplate(c.url)}>Delete</button>}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {mayCreate && (
        <div className="form" data-testid="repocreds-form">
          <label>
            URL prefix
            <input value={tmpl.url} placeholder="https://git.example.com/team/" onChange={(e) => setTmpl({ ...tmpl, url: e.target.value })} />
          </label>
          <label>
            Username
            <input value={tmpl.username} onChange={(e) => setTmpl({ ...tmpl, username: e.target.value })} />
          </label>
          <label>
            Password or token
            <input type="password" value={tmpl.password} autoComplete="off" onChange={(e) => setTmpl({ ...tmpl, password: e.target.value })} />
          </label>
          <label>
            SSH private key
            <textarea rows={3} value={tmpl.sshPrivateKey} onChange={(e) => setTmpl({ ...tmpl, sshPrivateKey: e.target.value })} />
          </label>
          <div className="toolbar">
            <button className="primary" onClick={addTemplate} disabled={!!templateProblem} title={templateProblem}>
              Add credential template
            </button>
            <span className="muted">{templateProblem}</span>
          </div>
        </div>
      )}
    </section>
  );
}
