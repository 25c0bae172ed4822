import { FormEvent, useEffect, useState } from "react";
import { useNavigate, useSearchParams } from "react-router-dom";
import { api, apiUrl, basePath } from "../api";

export function Login({ onLoggedIn }: { onLoggedIn: () => Promise<void> }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [sso, setSso] = useState<{ name?: string } | null>(null);
  useEffect(() => {
    api<{ oidcConfig?: { name?: string } | null }>("GET", "api/v1/settings")
      .then((s) => setSso(s.oidcConfig ?? null))
      .catch(() => setSso(null));
  }, []);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!username || !password) {
      setError("Enter a username and a password.");
      return;
    }
    setBusy(true);
    setError("");
    try {
      await api("POST", "api/v1/session", { body: { username, password } });
      await onLoggedIn();
      navigate(params.get("return") || "/applications");
    } catch (err) {
      setError((err as Error).message); // the server's own words (wrong password, locked out…)
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="login">
      <form onSubmit={submit} className="card">
        <h1>Argosy</h1>
        <label>
          Username
          <input name="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        {error && (
          <div className="error" role="alert">
            {error}
          </div>
        )}
        <button type="submit" disabled={busy} className="primary">
          Sign in
        </button>
        {sso && (
          <a className="button" href={apiUrl("auth/login", { return_url: basePath + (params.get("return") || "/applications").replace(/^\//, "") })}>
            Log in via {sso.name || "SSO"}
          </a>
        )}
      </form>
    </div>
  );
}
