import { useState } from "react";
import { api } from "../../api";
import { ErrorBox } from "../common";
import type { Project } from "./Projects";
import { attempt } from "./shared";

const when = (seconds?: number) => (seconds ? new Date(seconds * 1000).toISOString().replace(".000Z", "Z") : "never");

/** A project's role tokens, listed by issue time; a new token is shown once (the server keeps only its id). */
export function ProjectTokens({ project, mayUpdate, onChange, onClose }: { project: Project; mayUpdate: boolean; onChange: () => void; onClose: () => void }) {
  const name = project.metadata.name;
  const [error, setError] = useState("");
  const [created, setCreated] = useState<{ role: string; token: string } | null>(null);
  const [expiresIn, setExpiresIn] = useState("");
  const base = (role: string) => `api/v1/projects/${encodeURIComponent(name)}/roles/${encodeURIComponent(role)}/token`;
  const create = (role: string) =>
    attempt(setError, async () => {
      const hours = Number(expiresIn || "0");
      if (!Number.isFinite(hours) || hours < 0) throw new Error(`expires in: '${expiresIn}' is not a number of hours (0 or empty: never)`);
      const answer = await api<{ token: string }>("POST", base(role), { body: { expiresIn: Math.round(hours * 3600) } });
      setCreated({ role, token: answer.token });
    }).then(onChange);
  const remove = (role: string, iat: number, id?: string) =>
    window.confirm(`Delete the token issued at ${when(iat)} of role ${role}?`) &&
    attempt(setError, () => api("DELETE", `${base(role)}/${iat}`, { query: { id } })).then(onChange);
  return (
    <div className="form" data-testid="project-tokens">
      <h3>Role tokens of project {name}</h3>
      <ErrorBox error={error} />
      {created && (
        <div className="notice" data-testid="new-token">
          New token for role {created.role} — copy it now, it is not shown again:
          <pre className="manifest">{created.token}</pre>
          <button onClick={() => setCreated(null)}>I have copied it</button>
        </div>
      )}
      {mayUpdate && (
        <label>
          Expires in (hours; empty: never)
          <input value={expiresIn} onChange={(e) => setExpiresIn(e.target.value)} aria-label="Token expires in hours" />
        </label>
      )}
      {(project.spec.roles ?? []).map((r) => (
        <div key={r.name} data-testid="role-tokens" data-role={r.name}>
          <h4>
            Role {r.name} {mayUpdate && <button onClick={() => create(r.name)}>Create token</button>}
          </h4>
          <table className="table">
            <thead>
              <tr>
                <th>Issued at (iat)</th>
                <th>ID</th>
                <th>Expires</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {(r.jwtTokens ?? []).map((t) => (
                <tr key={`${t.iat}-${t.id}`} data-iat={t.iat}>
                  <td>
                    {t.iat} ({when(t.iat)})
                  </td>
                  <td>{t.id}</td>
                  <td>{when(t.exp)}</td>
                  <td>{mayUpdate && <button onClick={() => remove(r.name, t.iat, t.id)}>Delete token</button>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ))}
      <div>
        <button onClick={() => (setCreated(null), onClose())}>Close</button>
      </div>
    </div>
  );
}
