import { ErrorBox } from "./common";
import { Clusters } from "./settings/Clusters";
import { EffectiveSettings } from "./settings/EffectiveSettings";
import { Projects } from "./settings/Projects";
import { Repositories } from "./settings/Repositories";
import { useList } from "./settings/shared";

type Account = { name: string; enabled: boolean; capabilities?: string[]; tokens?: { id: string; issuedAt: number; expiresAt?: number }[] };

/** Repositories and credential templates, clusters, projects, accounts and the effective settings, as the
 * server lists them (credentials never included); edits the user may not make are hidden (can-i). */
export function Settings() {
  const [accounts, accountError] = useList<Account>("api/v1/account");
  return (
    <div className="page">
      <Repositories />
      <Clusters />
      <Projects />
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
      <EffectiveSettings />
    </div>
  );
}
