"""Every route of the API server, tried by callers who must not get another project's data.

The routes come from the OpenAPI document the server serves, so a new route is swept without
anyone listing it. Each is called by a user with no rights (``nobody``) and by one with every
right in project ``green`` only (``greenie``), on objects of project ``blue`` and on objects that
do not exist; then with path tricks (encoded slashes, ``..``, double encoding, names qualified
with other namespaces, ``appNamespace`` pointing at a namespace Argosy does not manage).

Every answer must be a refusal (401/403/404; 400 only for a malformed request), never a 5xx,
and no body may carry the marker planted in every ``blue`` object. A missing object must be
refused exactly as an existing one the caller may not see (Argo CD's "permission denied" for
both), so names cannot be probed.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import httpx
import pytest

from support.api_server import ACCOUNTS, SEED_POLICY, ControlPlane, application, bearer, configmap, project

MARKER = f"zqmark{uuid.uuid4().hex[:10]}"
BLUE_SERVER = "https://10.66.0.1:6443"
BLUE_REPO = f"https://git.example.com/{MARKER}.git"
MISSING_SERVER = "https://10.66.0.2:6443"
MISSING_REPO = "https://git.example.com/nothing-here.git"
GREEN_POLICY = "\n".join(
    [
        "p, role:green-admin, applications, *, green/*, allow",
        "p, role:green-admin, applicationsets, *, green/*, allow",
        "p, role:green-admin, logs, get, green/*, allow",
        "p, role:green-admin, clusters, *, green/*, allow",
        "p, role:green-admin, repositories, *, green/*, allow",
        "p, role:green-admin, projects, get, green, allow",
        "g, greenie, role:green-admin",
    ]
)
#: Authenticated routes that may answer 200 to anyone: about the caller itself, or lists filtered
#: by RBAC. Everything else must refuse a caller without rights on the object.
SELF_OR_FILTERED = {
    ("DELETE", "/api/v1/session"),
    ("GET", "/api/v1/account"),
    ("GET", "/api/v1/account/can-i/{resource}/{action}/{subresource}"),
    ("GET", "/api/v1/applications"),
    ("GET", "/api/v1/applicationsets"),
    ("GET", "/api/v1/stream/applications"),
    ("GET", "/api/v1/projects"),
    ("GET", "/api/v1/clusters"),
    ("GET", "/api/v1/repositories"),
    ("GET", "/api/v1/repocreds"),
}
ACTION_QUERY = {"namespace": "guestbook", "resourceName": "web", "group": "apps", "kind": "Deployment"}


def appset(name: str, project_name: str) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": {"name": name, "annotations": {"note": MARKER}},
        "spec": {
            "generators": [{"list": {"elements": [{"env": "a"}]}}],
            "template": {
                "metadata": {"name": "{{env}}-" + name},
                "spec": application("t", project=project_name)["spec"],
            },
        },
    }


def cluster_secret(name: str, server: str, project_name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "labels": {"argocd.argoproj.io/secret-type": "cluster"}},
        "stringData": {"server": server, "name": f"blue-{MARKER}", "project": project_name, "config": "{}"},
    }


def repo_secret(name: str, url: str, project_name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "labels": {"argocd.argoproj.io/secret-type": "repository"}},
        "stringData": {"url": url, "project": project_name},
    }


@dataclass
class World:
    """The objects of the sweep and the callers' tokens."""

    cp: ControlPlane
    stray_ns: str
    tokens: dict[str, dict[str, str]] = field(default_factory=dict)
    fresh_token: Callable[[str], dict[str, str]] = lambda name: {}


@pytest.fixture(scope="module")
def world(
    control_plane: ControlPlane,
    set_password: Callable[[str, str], None],
    login: Callable[[str, str], str],
) -> Iterator[World]:
    cp = control_plane
    # An Application of project green in a namespace Argosy does not manage (not in
    # application.namespaces): whoever put it there, it is not Argosy's to serve.
    stray_ns = f"{cp.namespace}-stray"
    cp.cluster.kubectl("create", "namespace", stray_ns)
    blue_app = application("blue-app", project="blue")
    blue_app["metadata"]["annotations"] = {"note": MARKER}
    stray = application("green-stray", project="green")
    stray["metadata"].update(namespace=stray_ns, annotations={"note": MARKER})
    objects = [
        configmap("argocd-cm", {**ACCOUNTS, "accounts.greenie": "login"}),
        configmap("argocd-rbac-cm", {"policy.csv": SEED_POLICY + GREEN_POLICY + "\n"}),
        project("blue", description=MARKER),
        project("green", sourceNamespaces=["*"]),
        blue_app,
        application("green-app", project="green"),
        appset("blue-set", "blue"),
        cluster_secret("blue-cluster", BLUE_SERVER, "blue"),
        repo_secret("blue-repo", BLUE_REPO, "blue"),
        stray,
    ]
    for obj in objects:
        obj["metadata"].setdefault("namespace", cp.namespace)
    # One kubectl call for all of them: each call costs a second on a busy machine.
    cp.apply({"apiVersion": "v1", "kind": "List", "metadata": {}, "items": objects})
    world = World(cp, stray_ns)
    for name in ("nobody", "greenie"):
        set_password(name, f"{name}-password")

    def fresh(name: str) -> dict[str, str]:
        return bearer(login(name, f"{name}-password"))

    world.fresh_token = fresh
    world.tokens = {name: fresh(name) for name in ("nobody", "greenie")}
    try:
        yield world
    finally:
        cp.cluster.kubectl("delete", "namespace", stray_ns, "--wait=false", check=False)


# --- the routes, from the served OpenAPI document ---------------------------------------------
@dataclass(frozen=True)
class Route:
    method: str
    template: str  # as FastAPI declares it, converters stripped: /api/v1/clusters/{server}
    query: tuple[str, ...]  # required query parameters

    @property
    def params(self) -> list[str]:
        return [p.split("}")[0] for p in self.template.split("{")[1:]]


def served_routes(api: httpx.Client) -> list[Route]:
    doc = api.get("/openapi.json").json()
    routes = []
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if method.upper() not in {"GET", "POST", "PUT", "PATCH", "DELETE"}:
                continue
            required = tuple(
                p["name"] for p in op.get("parameters") or [] if p.get("in") == "query" and p.get("required")
            )
            routes.append(Route(method.upper(), path, required))
    return routes


def _value(route: Route, param: str, existing: bool) -> str:
    """What to put for a path parameter: an object of project blue, or one that does not exist."""
    t = route.template
    if param in ("resource", "action", "subresource"):  # can-i asks about blue's app
        return {"resource": "applications", "action": "get", "subresource": "blue/blue-app"}[param]
    if param == "server":
        return quote(BLUE_SERVER if existing else MISSING_SERVER, safe="")
    if param == "repo":
        return quote(BLUE_REPO if existing else MISSING_REPO, safe="")
    if param == "name" and t.startswith(("/api/v1/applications/", "/api/v1/stream/applications/")):
        return "blue-app" if existing else "no-such-app"
    if param == "name" and t.startswith("/api/v1/applicationsets/"):
        return "blue-set" if existing else "no-such-set"
    if param in ("name", "project") and t.startswith("/api/v1/projects/"):
        return "blue" if existing else "no-such-project"
    if param == "name" and t.startswith("/api/v1/account/"):
        return "admin" if existing else "no-such-account"
    return {"role": "ci", "iat": "1", "token_id": "some-id"}.get(param, "x")


def _body(route: Route, name: str) -> Any:
    """A well-formed body that asks for blue's objects (``{}`` for routes not listed here)."""
    m, t = route.method, route.template
    bodies: dict[tuple[str, str], Any] = {
        ("POST", "/api/v1/applications"): application("evil", project="blue"),
        ("PUT", "/api/v1/applications/{name}"): application(name, project="blue"),
        ("PUT", "/api/v1/applications/{name}/spec"): application(name, project="blue")["spec"],
        ("PATCH", "/api/v1/applications/{name}"): {"patch": '{"spec":{}}', "patchType": "merge"},
        ("POST", "/api/v1/applications/{name}/rollback"): {"id": 1},
        ("POST", "/api/v1/applications/{name}/resource/actions"): "restart",
        ("POST", "/api/v1/applications/{name}/resource/actions/v2"): {**ACTION_QUERY, "action": "restart"},
        ("POST", "/api/v1/applicationsets"): appset("evil-set", "blue"),
        ("POST", "/api/v1/applicationsets/generate"): {"applicationSet": appset("evil-set", "blue")},
        ("POST", "/api/v1/projects"): {"project": project("evil-project")},
        ("PUT", "/api/v1/projects/{name}"): {"project": project(name)},
        ("POST", "/api/v1/clusters"): {"server": "https://10.66.0.9:6443", "name": "x", "project": "blue"},
        ("PUT", "/api/v1/clusters/{server}"): {"name": "renamed"},
        ("POST", "/api/v1/repositories"): {"repo": "https://git.example.com/evil.git", "project": "blue"},
        ("POST", "/api/v1/repocreds"): {"url": "https://git.example.com/evil/", "password": "x"},
        ("POST", "/api/v1/repositories/{repo}/appdetails"): {
            "source": {"repoURL": BLUE_REPO, "path": "."},
            "appName": name,
        },
        ("PUT", "/api/v1/account/password"): {
            "name": "admin",
            "currentPassword": "not-it",
            "newPassword": "new-password-123",
        },
    }
    return bodies.get((m, t), {})


def _query(route: Route) -> str:
    query = dict(ACTION_QUERY) if "/resource/actions" in route.template else {}
    query.update({q: "x" for q in route.query if q not in query})
    return "&".join(f"{k}={v}" for k, v in query.items())


def request_line(route: Route, existing: bool) -> tuple[str, Any]:
    path = route.template
    for param in route.params:
        path = path.replace("{" + param + "}", _value(route, param, existing))
    query = _query(route)
    name = "blue-app" if existing else "no-such-app"
    return (f"{path}?{query}" if query else path), _body(route, name)


# --- calling ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Answer:
    status: int
    text: str

    def message(self) -> str:
        try:
            return str(json.loads(self.text).get("message", ""))
        except (ValueError, AttributeError):
            return self.text


def raw_call(base_url: str, method: str, path: str, body: Any, headers: dict[str, str]) -> Answer:
    """Send ``path`` byte for byte (httpx would normalise ``..`` and encodings away); read a
    stream for a moment only."""
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        payload = None if body is None or method in ("GET", "DELETE") else json.dumps(body)
        conn.request(method, path, body=payload, headers={"Content-Type": "application/json", **headers})
        resp = conn.getresponse()
        if resp.getheader("content-type", "").startswith("text/event-stream"):
            conn.sock.settimeout(1.5)  # type: ignore[union-attr]
            chunks = []
            try:
                while chunk := resp.read1(65536):
                    chunks.append(chunk)
            except TimeoutError:
                pass
            return Answer(resp.status, b"".join(chunks).decode(errors="replace"))
        return Answer(resp.status, resp.read().decode(errors="replace"))
    finally:
        conn.close()


REFUSED = {401, 403, 404}


def leaked(answer: Answer, sent: str) -> bool:
    """Whether the answer carries the marker beyond an echo of what the caller sent itself."""
    text = answer.text
    for echo in sorted({sent, unquote(sent), unquote(unquote(sent))}, key=len, reverse=True):
        text = text.replace(echo, "")
    for piece in unquote(sent).replace("?", "/").replace("&", "/").replace("=", "/").split("/"):
        if piece:
            text = text.replace(piece, "")
    return MARKER in text


def check_refused(answer: Answer, what: str, sent: str = "") -> None:
    assert not leaked(answer, sent), f"{what}: another project's data in the answer: {answer.text[:300]}"
    assert answer.status < 500, f"{what}: server error {answer.status}: {answer.text[:300]}"
    malformed = answer.status == 400 and answer.message().startswith("invalid request")
    assert answer.status in REFUSED or malformed, f"{what}: {answer.status} {answer.text[:300]}"


# --- the sweep ----------------------------------------------------------------------------------
def test_the_sweep_sees_every_served_route(api: httpx.Client) -> None:
    """The route list is the server's own: the routes this file knows bodies for are all in it."""
    served = {(r.method, r.template) for r in served_routes(api)}
    assert len(served) >= 50, sorted(served)
    assert ("POST", "/api/v1/applications/{name}/sync") in served
    assert ("GET", "/api/v1/applications/{name}/deletion-preview") in served
    assert served >= SELF_OR_FILTERED, SELF_OR_FILTERED - served


def sweep_route(route: Route, world: World, base_url: str) -> int:
    """Call one route anonymously, then as each caller without rights; the number of calls."""
    path, body = request_line(route, existing=True)
    anonymous = raw_call(base_url, route.method, path, body, {})
    assert not leaked(anonymous, path) and anonymous.status < 500, (route, anonymous)
    if anonymous.status != 401:  # a public route: login, settings, version, webhooks, SSO
        return 1
    calls = 1
    for user in ("nobody", "greenie"):
        headers = world.tokens[user]
        if (route.method, route.template) == ("DELETE", "/api/v1/session"):
            headers = world.fresh_token(user)  # logging out must not end the sweep's session
        answer = raw_call(base_url, route.method, path, body, headers)
        what = f"{user} {route.method} {path}"
        calls += 1
        if (route.method, route.template) in SELF_OR_FILTERED:
            assert not leaked(answer, path) and answer.status < 500, (what, answer)
            continue
        check_refused(answer, what, path)
        if route.params:
            missing_path, missing_body = request_line(route, existing=False)
            missing = raw_call(base_url, route.method, missing_path, missing_body, headers)
            calls += 1
            check_refused(missing, f"{user} {route.method} {missing_path}", missing_path)
            assert missing.status == answer.status, (
                f"{what}: {answer.status} for an existing object, {missing.status} for a missing "
                f"one: the answer tells whether it exists ({answer.text} / {missing.text})"
            )
    return calls


def test_every_route_refuses_callers_without_rights_on_the_object(
    api: httpx.Client, world: World, server: Any
) -> None:
    routes = served_routes(api)
    with ThreadPoolExecutor(max_workers=8) as pool:
        calls = sum(pool.map(lambda r: sweep_route(r, world, server.url), routes))
    assert calls >= 150, calls


def test_a_missing_application_is_refused_as_a_hidden_one(api: httpx.Client, world: World) -> None:
    """Argo CD answers "permission denied" for both, so application names cannot be probed; only
    a caller who may see applications of any project learns that one does not exist."""
    nobody = world.tokens["nobody"]
    hidden = api.get("/api/v1/applications/blue-app", headers=nobody)
    missing = api.get("/api/v1/applications/no-such-app", headers=nobody)
    assert hidden.status_code == missing.status_code == 403
    assert hidden.json()["message"].replace("blue-app", "N") == missing.json()["message"].replace(
        "no-such-app", "N"
    )
    assert "blue" not in hidden.json()["message"].replace("blue-app", "")  # not even the project
    greenie = world.tokens["greenie"]
    assert api.get("/api/v1/applications/green-app", headers=greenie).status_code == 200
    assert api.get("/api/v1/applications/no-such-app", headers=greenie).status_code == 403


def test_an_admin_still_learns_that_an_application_does_not_exist(
    api: httpx.Client, world: World, admin: dict[str, str]
) -> None:
    resp = api.get("/api/v1/applications/no-such-app", headers=admin)
    assert resp.status_code == 404 and "no-such-app" in resp.json()["message"], resp.text


# --- path tricks ----------------------------------------------------------------------------------
def tricks(cp_ns: str, stray_ns: str) -> list[tuple[str, str]]:
    blue_server = quote(BLUE_SERVER, safe="")
    return [
        ("GET", "/api/v1/applications/blue%2Fblue-app"),
        ("GET", "/api/v1/applications/green%2F..%2Fblue-app"),
        ("GET", "/api/v1/applications/green-app/../blue-app"),
        ("GET", "/api/v1/applications/green-app/..%2Fblue-app"),
        ("GET", "/api/v1/applications/green-app%2F..%2F..%2Fapplications%2Fblue-app"),
        ("GET", "/api/v1/applications/%2E%2E/applications/blue-app"),
        ("GET", "/api/v1/applications/blue%252Fblue-app"),
        ("GET", "/api/v1/applications/blue-app%00"),
        ("GET", f"/api/v1/applications/blue-app?appNamespace={cp_ns}"),
        ("GET", f"/api/v1/applications/{stray_ns}%2Fgreen-stray"),
        ("GET", f"/api/v1/applications/green-stray?appNamespace={stray_ns}"),
        ("GET", f"/api/v1/applications/green-stray/resource-tree?appNamespace={stray_ns}"),
        ("GET", f"/api/v1/applications/green-stray/manifests?appNamespace={stray_ns}"),
        ("POST", f"/api/v1/applications/green-stray/sync?appNamespace={stray_ns}"),
        ("DELETE", f"/api/v1/applications/green-stray?appNamespace={stray_ns}"),
        ("GET", f"/api/v1/applications/green-stray?appNamespace=..%2F{stray_ns}"),
        ("GET", f"/api/v1/applications?appNamespace={stray_ns}"),
        ("GET", f"/api/v1/stream/applications?appNamespace={stray_ns}"),
        ("GET", f"/api/v1/applicationsets?appsetNamespace={stray_ns}"),
        ("GET", f"/api/v1/applicationsets/blue-set?appsetNamespace={cp_ns}"),
        ("GET", "/api/v1/applicationsets/green%2F..%2Fblue-set"),
        ("GET", "/api/v1/projects/green%2F..%2Fblue"),
        ("GET", "/api/v1/projects/green/../blue"),
        ("GET", f"/api/v1/clusters/{blue_server}"),
        ("GET", f"/api/v1/clusters/{blue_server}%2F"),
        ("GET", f"/api/v1/clusters/{blue_server.upper()}"),
        ("GET", "/api/v1/clusters/https://10.66.0.1:6443"),
        ("GET", "/api/v1/clusters/x/../../applications/blue-app"),
        ("GET", f"/api/v1/clusters/blue-{MARKER}?id.type=name"),
        ("DELETE", f"/api/v1/repositories/{quote(BLUE_REPO, safe='')}"),
        ("DELETE", "/api/v1/repositories/..%2F..%2Fapplications%2Fblue-app"),
        ("GET", "/api/v1/account/can-i/applications/get/green%2F..%2Fblue%2Fblue-app"),
    ]


def test_path_tricks_reach_nothing_of_another_project(
    world: World, server: Any, control_plane: ControlPlane
) -> None:
    cases = [
        (u, m, p) for u in ("nobody", "greenie") for m, p in tricks(control_plane.namespace, world.stray_ns)
    ]

    def attempt(case: tuple[str, str, str]) -> None:
        user, method, path = case
        answer = raw_call(server.url, method, path, {}, world.tokens[user])
        what = f"{user} {method} {path}"
        if path.startswith("/api/v1/account/can-i/"):
            # A question about a literal object string ("green/../blue/blue-app" is in green/*
            # as text); the routes never build an RBAC object from such a name.
            assert answer.status == 200 and not leaked(answer, path), (what, answer)
            return
        check_refused(answer, what, path)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(attempt, cases))


def test_applications_outside_the_managed_namespaces_are_not_served(
    api: httpx.Client, world: World, admin: dict[str, str]
) -> None:
    """Even a caller whose policy matches the app (``green/*`` matches ``green/<ns>/<name>``), and
    even an admin, gets 403 naming the setting; the stray app is created nowhere near Argosy."""
    for headers in (world.tokens["greenie"], admin):
        resp = api.get(f"/api/v1/applications/green-stray?appNamespace={world.stray_ns}", headers=headers)
        assert resp.status_code == 403, resp.text
        assert "application.namespaces" in resp.json()["message"] and MARKER not in resp.text
    create = application("smuggled", project="green")
    create["metadata"]["namespace"] = world.stray_ns
    resp = api.post("/api/v1/applications", headers=world.tokens["greenie"], json=create)
    assert resp.status_code == 403 and "is not permitted" in resp.json()["message"], resp.text


def test_the_stream_does_not_announce_deletions_of_hidden_applications(
    api: httpx.Client, world: World, server: Any, admin: dict[str, str]
) -> None:
    """A DELETED event carries the application's name: only who could see the app may get it.
    The admin's stream is the control: the event was sent, to the admin only."""
    doomed = f"gone-{MARKER}"
    seen: dict[str, list[str]] = {"nobody": [], "admin": []}
    blue = application(doomed, project="blue")
    assert api.post("/api/v1/applications", headers=admin, json=blue).status_code == 200
    admin_listed_it, admin_saw_it = threading.Event(), threading.Event()

    def listen(who: str, headers: dict[str, str]) -> None:
        with (
            httpx.Client(base_url=server.url, timeout=httpx.Timeout(10, read=1.5)) as client,
            client.stream("GET", f"/api/v1/stream/applications?name={doomed}", headers=headers) as resp,
        ):
            try:
                for line in resp.iter_lines():
                    seen[who].append(line)
                    if who == "admin" and '"ADDED"' in line:
                        admin_listed_it.set()  # the streams have subscribed
                    if who == "admin" and '"DELETED"' in line:
                        admin_saw_it.set()
                        return
            except httpx.ReadTimeout:
                pass

    listeners = [
        threading.Thread(target=listen, args=("nobody", world.tokens["nobody"]), daemon=True),
        threading.Thread(target=listen, args=("admin", admin), daemon=True),
    ]
    for listener in listeners:
        listener.start()
    assert admin_listed_it.wait(15), seen["admin"]
    time.sleep(0.3)  # nobody's stream, opened at the same time, has subscribed too
    deleted = api.delete(f"/api/v1/applications/{doomed}?cascade=false", headers=admin)
    assert deleted.status_code == 200, deleted.text
    assert admin_saw_it.wait(15), seen["admin"]
    for listener in listeners:
        listener.join(15)
    assert not any(MARKER in line for line in seen["nobody"]), seen["nobody"]
