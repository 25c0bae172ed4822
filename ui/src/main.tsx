import React, { lazy, Suspense, useCallback, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter, Link, Navigate, Route, Routes, useLocation, useNavigate } from "react-router-dom";
import { api, ApiError, basePath, onCanIFailure, setUnauthenticatedHandler } from "./api";
import { AppsList } from "./pages/AppsList";
// Pages other than the list are split out, so the list's first paint loads only what it needs.
const AppDetail = lazy(() => import("./pages/AppDetail").then((m) => ({ default: m.AppDetail })));
const CreateApp = lazy(() => import("./pages/CreateApp").then((m) => ({ default: m.CreateApp })));
import { Login } from "./pages/Login";
const Settings = lazy(() => import("./pages/Settings").then((m) => ({ default: m.Settings })));
import { UserInfo } from "./pages/UserInfo";
import "./styles.css";

export type Me = { loggedIn: boolean; username?: string; groups?: string[] };

function Shell() {
  const [me, setMe] = useState<Me | null>(null);
  const [logoutError, setLogoutError] = useState("");
  const [canIFailure, setCanIFailure] = useState("");
  const navigate = useNavigate();
  const location = useLocation();
  const refresh = useCallback(async () => setMe(await api<Me>("GET", "api/v1/session/userinfo")), []);
  useEffect(() => {
    refresh().catch(() => setMe({ loggedIn: false }));
    setUnauthenticatedHandler(() => setMe({ loggedIn: false }));
    // Buttons whose can-i failed stay hidden; the page says why instead of hiding them silently.
    onCanIFailure((question, message) =>
      setCanIFailure(`Could not ask the server what you may do (can-i ${question}): ${message}. Some actions may be hidden; reload to ask again.`),
    );
  }, [refresh]);
  if (me === null) return <div className="page">Loading…</div>;
  if (!me.loggedIn && location.pathname !== "/login")
    return <Navigate to={`/login?return=${encodeURIComponent(location.pathname)}`} replace />;
  // Logged out once the server has ended the session (or it had already ended: 401); on any other
  // error the session may still be valid, so the page stays and shows the server's message.
  const logout = async () => {
    setLogoutError("");
    try {
      await api("DELETE", "api/v1/session");
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) {
        setLogoutError(`Log out failed: ${(err as Error).message}`);
        return;
      }
    }
    setMe({ loggedIn: false });
    navigate("/login");
  };
  return (
    <>
      {me.loggedIn && (
        <nav className="topbar">
          <Link to="/applications" className="brand">
            Argosy
          </Link>
          <Link to="/applications">Applications</Link>
          <Link to="/settings">Settings</Link>
          <span className="spacer" />
          <Link to="/user-info" data-testid="username">
            {me.username}
          </Link>
          <button onClick={logout}>Log out</button>
        </nav>
      )}
      {me.loggedIn && logoutError && (
        <div className="error" role="alert" data-testid="logout-error" onClick={() => setLogoutError("")}>
          {logoutError}
        </div>
      )}
      {me.loggedIn && canIFailure && (
        <div className="warning" role="status" data-testid="can-i-failure" onClick={() => setCanIFailure("")}>
          {canIFailure}
        </div>
      )}
      <Suspense fallback={<div className="page">Loading…</div>}>
      <Routes>
        <Route path="/login" element={<Login onLoggedIn={refresh} />} />
        <Route path="/applications" element={<AppsList />} />
        <Route path="/applications/new" element={<CreateApp />} />
        <Route path="/applications/:name" element={<AppDetail />} />
        <Route path="/settings" element={<Settings />} />
        <Route path="/user-info" element={<UserInfo me={me} />} />
        <Route path="*" element={<Navigate to="/applications" replace />} />
      </Routes>
      </Suspense>
    </>
  );
}

createRoot(document.getElementById("root")!).render(
  <React.StrictMode>
    <BrowserRouter basename={basePath.replace(/\/$/, "") || "/"}>
      <Shell />
    </BrowserRouter>
  </React.StrictMode>,
);
