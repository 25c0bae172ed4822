import { useEffect, useState } from "react";
import { api } from "../../api";
import { ErrorBox } from "../common";

type ServerSettings = {
  url?: string;
  statusBadgeEnabled?: boolean;
  execEnabled?: boolean;
  appLabelKey?: string;
  trackingMethod?: string;
  controllerNamespace?: string;
  userLoginsDisabled?: boolean;
  resourceOverridesCount?: number;
  resourceExclusionsCount?: number;
  resourceInclusionsCount?: number;
  resourceSettingsError?: string;
  kustomizeOptions?: { buildOptions?: string };
  helmOptions?: { valuesFileSchemes?: string };
  oidcConfig?: { name?: string; issuer?: string; clientID?: string; cliClientID?: string; scopes?: string[] } | null;
};

/** The effective settings, read-only, from the public `GET /api/v1/settings` (which carries no secret by design). */
export function EffectiveSettings() {
  const [s, setS] = useState<ServerSettings | null>(null);
  const [error, setError] = useState("");
  useEffect(() => {
    api<ServerSettings>("GET", "api/v1/settings").then(setS, (err: Error) => setError(err.message));
  }, []);
  const yes = (b?: boolean) => (b ? "enabled" : "disabled");
  const oidc = s?.oidcConfig;
  return (
    <section>
      <h2>Effective settings</h2>
      <ErrorBox error={error || s?.resourceSettingsError || ""} />
      {s && (
        <dl className="summary-list settings-list" data-testid="effective-settings">
          <dt>URL</dt>
          <dd>{s.url || <span className="muted">not set (argocd-cm url)</span>}</dd>
          <dt>Status badge</dt>
          <dd>{yes(s.statusBadgeEnabled)}</dd>
          <dt>Exec</dt>
          <dd>{yes(s.execEnabled)}</dd>
          <dt>Tracking</dt>
          <dd>
            {s.trackingMethod} ({s.appLabelKey})
          </dd>
          <dt>Namespace</dt>
          <dd>{s.controllerNamespace}</dd>
          <dt>Local logins</dt>
          <dd>{s.userLoginsDisabled ? "disabled" : "enabled"}</dd>
          <dt>Resource overrides</dt>
          <dd>{s.resourceOverridesCount ?? "?"}</dd>
          <dt>Exclusions</dt>
          <dd>
            {s.resourceExclusionsCount ?? "?"} exclusion rule(s), {s.resourceInclusionsCount ?? "?"} inclusion rule(s)
          </dd>
          <dt>Kustomize</dt>
          <dd>build options: {s.kustomizeOptions?.buildOptions || <span className="muted">none</span>}</dd>
          <dt>Helm</dt>
          <dd>values file schemes: {s.helmOptions?.valuesFileSchemes || <span className="muted">default</span>}</dd>
          <dt>SSO (OIDC)</dt>
          <dd data-testid="oidc">
            {oidc ? `${oidc.name ?? ""} issuer ${oidc.issuer ?? ""}, client ${oidc.clientID ?? ""}, scopes ${(oidc.scopes ?? []).join(" ")}` : <span className="muted">not configured</span>}
          </dd>
        </dl>
      )}
    </section>
  );
}
