import { useState } from "react";
import { api } from "../api";
import { ErrorBox } from "./common";
import { useCanEach } from "../permissions";
import { Clusters } from "./settings/Clusters";
import { EffectiveSettings } from "./settings/EffectiveSettings";
import { Projects } from "./settings/Projects";
import { Repositories } from "./settings/Repositories";
import { attempt, useList } from "./settings/shared";

type Account = { name: string; enabled: boolean; capabilities?: string[]; tokens?: { id: string; issuedAt: number; expiresAt?: number }[] };

const when = (seconds?: number) => (seconds ? new Date(seconds * 1000).toISOString().replace(".000Z", "Z") : "never");

/** Local accounts and their API tokens. A new token is shown once: the server records only its id, so it
 * cannot be read again. Creating and deleting tokens is hidden unless `accounts, update` on that account. */
function Accounts() {
  const [accounts, accountError, reload] = useList<Account>("api/v1/account");
  const mayUpdate = useCanEach(
    "accounts",
    "update",
    accounts.map((a) => a.name),
  );
  const [error, setError] = useState("");
  const [created, setCreated] = useState<{ account: string; token: string } | null>(null);
  const [expiresIn, setExpiresIn] = useState<Record<string, string>>({});
  const base = (account: string) => `api/v1/account/${encodeURIComponent(account)}/token`;
  const create = (account: string) =>
    attempt(setError, async () => {
      const text = expiresIn[account] ?? "";
      const hours = Number(text || "0");
      if (!Number.isFinite(hours) || hours < 0) throw new Error(`expires in: '${text}' is not a number of hours (0 or empty: never)`);
      const answer = await api<{ token: string }>("POST", base(account), { body: { expiresIn: Math.round(hours * 3600) } });
      setCreated({ account, token: answer.token });
    }).then(reload);
  const remove = (account: string, id: string) =>
    window.confirm(`Delete token ${id} of account ${account}? Clients using it are refused from then on.`) &&
    attempt(setError, () => api("DELETE", `${base(account)}/${encodeURIComponent(id)}`)).then(reload);
  return (
    <>
      <h2>Accounts</h2>
      <ErrorBox error={accountError || error} />
      {created && (
        <div className="notice" data-testid="new-account-token">
          New token for account {created.account} — copy it now, it is not shown again:
          <pre className="manifest">{created.token}</pre>
          <button onClick={() => setCreated(null)}>I have copied it</button>
        </div>
      )}
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
            <tr key={a.name} data-account={a.name}>
              <td>{a.name}</td>
              <td>{a.enabled ? "yes" : "no"}</td>
              <td>{(a.capabilities ?? []).join(", ")}</td>
              <td>
                {(a.tokens ?? []).map((t) => (
                  <div key={t.id} data-testid="account-token" data-id={t.id}>
                    {t.id} <span className="muted">issued {when(t.issuedAt)}, expires {when(t.expiresAt)}</span>{" "}
                    {mayUpdate(a.name) && <button onClick={() => remove(a.name, t.id)}>Delete token</button>}
                  </div>
                ))}
                {mayUpdate(a.name) && (a.capabilities ?? []).includes("apiKey") && (
                  <div className="toolbar">
                    <input
                      value={expiresIn[a.name] ?? ""}
                      onChange={(e) => setExpiresIn({ ...expiresIn, [a.name]: e.target.value })}
                      placeholder="expires in hours (empty: never)"
                      aria-label={`Token expires in hours for ${a.name}`}
                    />
                    <button onClick={() => create(a.name)}>Create token</button>
                  </div>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

/** Repositories and credential templates, clusters, projects, accounts and the effective settings, as the
 * server lists them (credentials never included); edits the user may not make are hidden (can-i). */
export function Settings() {
  return (
    <div className="page">
      <Repositories />
      <Clusters />
      <Projects />
      <Accounts />
      <EffectiveSettings />
    </div>
  );
}
