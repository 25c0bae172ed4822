"""No Secret value leaks: seeded values are looked for everywhere Argosy writes or answers.

One scene on the real components: a repo server over HTTP (with its cache
on disk), the application controller and the API server, all against the
local cluster. Known, unique values are planted where Argosy meets secrets:

* a managed Secret in Git, with ``data`` and ``stringData``, synced, then
  changed in the cluster (a diff);
* a Secret in Git whose ``data`` is not base64 (its sync fails with an error);
* the password of a repository credential Secret (the repo is private);
* the bearer token of a cluster Secret whose server is unreachable (a sync
  fails with a connection error);
* an SCM provider token referenced by an ApplicationSet;
* the GitHub webhook secret (a signed and a forged push are sent);
* the server's signing key and the admin password (a login is made).

Then every surface is collected: every read route of the API (listed from the
server's own route table, so a new route is scanned without editing this
test), the SSE stream the UI watches, the Applications (``status``,
``operationState``), Kubernetes Events, every log record at DEBUG level, the
Prometheus metrics of all three services, and every file of the repo
server's cache. No value may appear raw or base64-encoded in any of them.
"""

from __future__ import annotations

import base64
import json
import logging
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import yaml
from prometheus_client import generate_latest

from argosy.repo import HttpRepoClient
from argosy.repo.metrics import REGISTRY as REPO_REGISTRY
from argosy.server.config import ServerConfig
from argosy.server.run import BackgroundServer
from argosy.server.webhook import hmac_hex
from support.cluster import ClusterHandle
from support.controller import RunningController, operation_phase, resource, sync_status
from support.git_server import GitHttpServer
from support.repo_server import running_repo_server
from support.secrets import repo_secret

_RUN = uuid.uuid4().hex[:8]
#: Values that live in Git: the repository (and its checkout) legitimately holds them.
GIT_DATA = f"leakscan-git-data-{_RUN}"
GIT_STRING = f"leakscan-git-stringdata-{_RUN}"
BROKEN_VALUE = f"leakscan-not-base64-{_RUN}!"
#: Values that never live in Git.
LIVE_DRIFT = f"leakscan-live-drift-{_RUN}"
REPO_PASSWORD = f"leakscan-repo-password-{_RUN}"
CLUSTER_TOKEN = f"leakscan-cluster-bearer-{_RUN}"
SCM_TOKEN = f"leakscan-scm-token-{_RUN}"
WEBHOOK_SECRET = f"leakscan-webhook-secret-{_RUN}"
IN_GIT = (GIT_DATA, GIT_STRING, BROKEN_VALUE)
NOT_IN_GIT = (LIVE_DRIFT, REPO_PASSWORD, CLUSTER_TOKEN, SCM_TOKEN, WEBHOOK_SECRET)
UNREACHABLE = "https://127.0.0.1:9"  # discard port: nothing listens, connections are refused
GIT_USERNAME = "leakscan"
SURFACES = ("api", "stream", "applications", "events", "logs", "metrics", "repo-cache", "webhook")


def b64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


def forms(value: str) -> tuple[str, ...]:
    """The raw value and its base64 forms (standard, URL-safe, unpadded)."""
    encoded = b64(value)
    return value, encoded, encoded.rstrip("="), base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def find_leaks(texts: list[tuple[str, str]], values: tuple[str, ...]) -> list[str]:
    """``where: which value`` for every text holding one of ``values`` in any form."""
    found = []
    for where, text in texts:
        for value in values:
            if any(form in text for form in forms(value)):
                found.append(f"{where}: {value}")
    return found


class CapturedLogs(logging.Handler):
    """Every record of every logger at DEBUG, formatted as a log line would be (with tracebacks)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception as err:  # a record that cannot format is itself worth seeing
            line = f"{record.name} unformattable {record.msg!r} {record.args!r}: {err}"
        extra = {k: v for k, v in record.__dict__.items() if k not in _STANDARD_ATTRS}
        self.lines.append(f"{line} {extra!r}" if extra else line)


_STANDARD_ATTRS = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


@dataclass
class Scene:
    texts: dict[str, list[tuple[str, str]]] = field(default_factory=lambda: {s: [] for s in SURFACES})
    #: Seconds from the start of the scene to each step (printed, for the time budget).
    steps: list[tuple[str, float]] = field(default_factory=list)
    slowest: list[tuple[float, str]] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def step(self, what: str) -> None:
        self.steps.append((what, round(time.monotonic() - self.started, 1)))

    repo_root: Path = Path()
    server_key: str = ""
    admin_password: str = ""

    def add(self, surface: str, where: str, text: str) -> None:
        self.texts[surface].append((where, text))


def _secret_yaml(name: str, data: dict[str, str], string_data: dict[str, str] | None = None) -> str:
    obj: dict[str, Any] = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "type": "Opaque"}
    obj["data"] = data
    if string_data:
        obj["stringData"] = string_data
    return yaml.safe_dump(obj)


def _apply(cluster: ClusterHandle, namespace: str, obj: dict[str, Any]) -> None:
    obj.setdefault("metadata", {})["namespace"] = namespace
    cluster.kubectl("apply", "-f", "-", stdin=json.dumps(obj))


def _spec(url: str, path: str, server: str, namespace: str, auto: bool = True) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "project": "default",
        "source": {"repoURL": url, "path": path, "targetRevision": "main"},
        "destination": {"server": server, "namespace": namespace},
    }
    if auto:
        spec["syncPolicy"] = {"automated": {}}
    return spec


def _stream(client: httpx.Client, path: str, params: dict[str, str], seconds: float = 1.5) -> str:
    """What an SSE stream sends in its first ``seconds`` (the initial state of every app)."""
    chunks: list[str] = []
    deadline = time.monotonic() + seconds
    try:
        with client.stream("GET", path, params=params, timeout=httpx.Timeout(seconds)) as resp:
            chunks.append(f"HTTP {resp.status_code}\n")
            for text in resp.iter_text():
                chunks.append(text)
                if time.monotonic() > deadline:
                    break
    except httpx.ReadTimeout:
        pass
    return "".join(chunks)


def _path_values(app: str, server: str) -> dict[str, str]:
    return {
        "name": app,
        "resource": "applications",
        "action": "get",
        "subresource": f"default/{app}",
        "server": quote(server, safe=""),
    }


def _read_routes(server: BackgroundServer) -> list[str]:
    """Every GET route of the API, from the server's own OpenAPI document (the UI calls the same)."""
    app = server.prepared.uvicorn_config.app
    paths = [p for p, ops in app.openapi()["paths"].items() if "get" in ops and p.startswith("/api")]  # type: ignore[union-attr]
    assert "/api/v1/applications/{name}/managed-resources" in paths, sorted(paths)
    return sorted(paths)


def _collect_api(scene: Scene, api: httpx.Client, server: BackgroundServer, dest: str) -> None:
    secret_ref = {"namespace": dest, "resourceName": "managed", "kind": "Secret", "version": "v1"}
    calls: list[tuple[str, dict[str, str]]] = []
    for path in _read_routes(server):
        for app, srv in (
            ("leaky", "https://kubernetes.default.svc"),
            ("broken", ""),
            ("remote", UNREACHABLE),
        ):
            if "{" not in path and app != "leaky":
                continue
            url = path
            for key, value in _path_values(app, srv).items():
                url = url.replace(f"{{{key}:path}}", value).replace(f"{{{key}}}", value)
            if path.startswith("/api/v1/stream/"):
                scene.add("stream", url, _stream(api, url, {}))  # every app, as the UI's list view
                continue
            params = dict(secret_ref) if "/resource" in path or path.endswith("/logs") else {}
            if path.endswith("/logs"):
                params.update(follow="false", kind="Secret")
            calls.append((url, params))

    def read(call: tuple[str, dict[str, str]]) -> tuple[str, httpx.Response, float]:
        began = time.monotonic()
        resp = api.get(call[0], params=call[1], timeout=60)
        return call[0], resp, round(time.monotonic() - began, 2)

    with ThreadPoolExecutor(max_workers=4) as pool:  # as the UI loads a page: several reads at once
        for url, resp, took in pool.map(read, calls):
            # 503 is the honest answer about the unreachable cluster; a 500 would be a bug.
            assert resp.status_code != 500, f"GET {url}: {resp.status_code} {resp.text[:300]}"
            scene.add("api", f"GET {url} ({resp.status_code})", f"{resp.headers}\n{resp.text}")
            scene.slowest.append((took, url))


def _wait_for(what: str, check: Any, timeout: float = 180.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.5)


@pytest.fixture(scope="module")
def scene(cluster: ClusterHandle, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scene]:
    tmp = tmp_path_factory.mktemp("leakscan")
    captured = CapturedLogs()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(captured)
    root.setLevel(logging.DEBUG)
    dest = f"leak-{_RUN}"
    cluster.kubectl("create", "namespace", dest)
    scene = Scene(repo_root=tmp / "rs")
    try:
        with (
            GitHttpServer(tmp, users={GIT_USERNAME: REPO_PASSWORD}) as git,
            running_repo_server(scene.repo_root) as repo_url,
        ):
            yield _drive(scene, cluster, git, repo_url, dest, captured)
    finally:
        root.removeHandler(captured)
        root.setLevel(old_level)
        cluster.kubectl("delete", "namespace", dest, "--wait=false", "--ignore-not-found", check=False)


def _drive(
    scene: Scene, cluster: ClusterHandle, git: GitHttpServer, repo_url: str, dest: str, logs: CapturedLogs
) -> Scene:
    repo = git.create_repo("leaky", private=True)
    repo.commit(
        {
            "app/managed.yaml": _secret_yaml("managed", {"password": b64(GIT_DATA)}, {"token": GIT_STRING}),
            "app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\ndata:\n  a: b\n",
            "broken/bad.yaml": _secret_yaml("bad", {"password": BROKEN_VALUE}),
            "remote/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: far\n",
        }
    )
    url = git.url("leaky")
    ctl = RunningController(cluster, scene.repo_root.parent / "unused-cache")
    ctl.repo = HttpRepoClient(repo_url)  # type: ignore[assignment]
    server: BackgroundServer | None = None
    try:
        ctl.start()
        scene.step("controller started")
        ns = ctl.namespace
        _apply(cluster, ns, repo_secret(url=url, username=GIT_USERNAME, password=REPO_PASSWORD))
        cluster_config = json.dumps({"bearerToken": CLUSTER_TOKEN, "tlsClientConfig": {"insecure": True}})
        cluster_secret = repo_secret("cluster", name="faraway", server=UNREACHABLE, config=cluster_config)
        _apply(cluster, ns, cluster_secret)
        scm = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "scm-token"}}
        _apply(cluster, ns, {**scm, "stringData": {"token": SCM_TOKEN}})
        appset = {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "ApplicationSet",
            "metadata": {"name": "from-scm"},
            "spec": {
                "generators": [
                    {
                        "scmProvider": {
                            "github": {
                                "organization": "example",
                                "tokenRef": {"secretName": "scm-token", "key": "token"},
                            }
                        }
                    }
                ],
                "template": {
                    "metadata": {"name": "{{repository}}"},
                    "spec": _spec(url, "app", "https://kubernetes.default.svc", dest, auto=False),
                },
            },
        }
        _apply(cluster, ns, appset)
        scene.step("secrets and appset applied")
        server = BackgroundServer(
            ServerConfig(
                namespace=ns,
                kubeconfig=cluster.kubeconfig,
                insecure=True,
                login_delay=(0.0, 0.0),
                repo_server=repo_url,
            )
        ).start()
        cluster.kubectl(
            "patch", "secret", "argocd-secret", "-n", ns, "--type=merge",
            "-p", json.dumps({"stringData": {"webhook.github.secret": WEBHOOK_SECRET}}),
        )  # fmt: skip
        ctl.apply_app("leaky", _spec(url, "app", "https://kubernetes.default.svc", dest))
        ctl.apply_app("broken", _spec(url, "broken", "https://kubernetes.default.svc", dest, auto=False))
        ctl.apply_app("remote", _spec(url, "remote", UNREACHABLE, dest, auto=False))
        _act(scene, cluster, ctl, server, dest, url)
        scene.step("acted")
        _collect(scene, cluster, ctl, server, dest, logs)
        scene.step("collected")
        print("leak scan steps (s):", scene.steps, "slowest reads:", sorted(scene.slowest)[-5:])
        return scene
    finally:
        if server is not None:
            server.stop()
        ctl.stop()


def _act(
    scene: Scene,
    cluster: ClusterHandle,
    ctl: RunningController,
    server: BackgroundServer,
    dest: str,
    url: str,
) -> None:
    """A sync, a diff, two failed syncs, a login, and a signed and a forged webhook."""
    ns = ctl.namespace
    scene.admin_password = base64.b64decode(
        json.loads(
            cluster.kubectl("get", "secret", "argocd-initial-admin-secret", "-n", ns, "-o", "json").stdout
        )["data"]["password"]
    ).decode()
    scene.server_key = base64.b64decode(
        json.loads(cluster.kubectl("get", "secret", "argocd-secret", "-n", ns, "-o", "json").stdout)["data"][
            "server.secretkey"
        ]
    ).decode("latin-1")
    scene.step("server started")
    ctl.wait_app("leaky", lambda a: sync_status(a) == "Synced", "the managed Secret synced", timeout=180)
    scene.step("leaky synced")
    live = json.loads(cluster.kubectl("get", "secret", "managed", "-n", dest, "-o", "json").stdout)
    assert live["data"] == {"password": b64(GIT_DATA), "token": b64(GIT_STRING)}, "the sync did not apply"
    cluster.kubectl(
        "patch", "secret", "managed", "-n", dest, "--type=merge",
        "-p", json.dumps({"data": {"password": b64(LIVE_DRIFT)}}),
    )  # fmt: skip
    ctl.refresh("leaky")
    ctl.wait_app(
        "leaky", lambda a: sync_status(a) == "OutOfSync", "the drifted Secret is a diff", timeout=180
    )
    scene.step("leaky drifted")
    with httpx.Client(base_url=server.url, timeout=60) as api:
        token = api.post("/api/v1/session", json={"username": "admin", "password": scene.admin_password})
        assert token.status_code == 200, token.text
        api.headers["Authorization"] = f"Bearer {token.json()['token']}"
        for name in ("broken", "remote"):
            sync = api.post(f"/api/v1/applications/{name}/sync", json={})
            scene.add("api", f"POST sync {name} ({sync.status_code})", sync.text)
        diff = api.get("/api/v1/applications/leaky/managed-resources")
        managed = {i["name"]: i for i in diff.json()["items"]}["managed"]
        assert managed["modified"] is True, "the diff of the drifted Secret was not reported"
    ctl.wait_app(
        "broken",
        lambda a: operation_phase(a) in ("Failed", "Error"),
        "the non-base64 Secret fails",
        timeout=180,
    )
    scene.step("broken failed")
    ctl.wait_app(
        "remote",
        lambda a: operation_phase(a) in ("Failed", "Error"),
        "the unreachable cluster fails",
        timeout=180,
    )
    scene.step("remote failed")
    body = json.dumps({"ref": "refs/heads/main", "repository": {"html_url": url, "default_branch": "main"}})
    with httpx.Client(base_url=server.url, timeout=30) as hooks:
        for signature in (hmac_hex(WEBHOOK_SECRET, body.encode()), "0" * 64):
            resp = hooks.post(
                "/api/webhook",
                content=body,
                headers={
                    "X-GitHub-Event": "push",
                    "Content-Type": "application/json",
                    "X-Hub-Signature-256": f"sha256={signature}",
                },
            )
            scene.add("webhook", f"POST /api/webhook ({resp.status_code})", f"{resp.headers}\n{resp.text}")
    assert [w.split("(")[1][:3] for w, _ in scene.texts["webhook"]] == ["200", "401"]


def _collect(
    scene: Scene,
    cluster: ClusterHandle,
    ctl: RunningController,
    server: BackgroundServer,
    dest: str,
    logs: CapturedLogs,
) -> None:
    ns = ctl.namespace
    with httpx.Client(base_url=server.url, timeout=60) as api:
        token = api.post("/api/v1/session", json={"username": "admin", "password": scene.admin_password})
        api.headers["Authorization"] = f"Bearer {token.json()['token']}"
        _collect_api(scene, api, server, dest)
        scene.add("metrics", "server /metrics", api.get("/metrics").text)
    for name in ("leaky", "broken", "remote"):
        app = ctl.app(name)
        scene.add("applications", f"Application {name}", json.dumps(app))
    broken = ctl.app("broken")["status"]["operationState"]
    assert broken.get("message") or any(
        r.get("message") for r in (broken.get("syncResult") or {}).get("resources") or []
    ), f"the failed sync of 'broken' says nothing: {broken}"
    for namespace in (ns, dest):
        events = cluster.kubectl("get", "events", "-n", namespace, "-o", "json").stdout
        scene.add("events", f"Events in {namespace}", events)
    assert ctl.controller is not None
    scene.add("metrics", "controller metrics", generate_latest(ctl.controller.metrics.registry).decode())
    scene.add("metrics", "repo server metrics", generate_latest(REPO_REGISTRY).decode())
    scene.add("logs", "all loggers at DEBUG", "\n".join(logs.lines))
    for path in sorted(scene.repo_root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            scene.add(
                "repo-cache", str(path.relative_to(scene.repo_root)), path.read_bytes().decode("latin-1")
            )
    assert resource(ctl.app("leaky"), "Secret", "managed"), "the managed Secret is not in the app's status"


def _is_git_content(where: str) -> bool:
    """Files of the repo server's Git working copies: they hold what the repository holds."""
    return where.startswith("git/")


@pytest.mark.parametrize("surface", SURFACES)
def test_no_seeded_secret_appears_in(surface: str, scene: Scene) -> None:
    texts = scene.texts[surface]
    assert texts and all(text for _, text in texts), f"nothing was collected from {surface}"
    secrets = (*IN_GIT, *NOT_IN_GIT, scene.admin_password, scene.server_key)
    leaks = find_leaks(texts, (*NOT_IN_GIT, scene.admin_password, scene.server_key))
    leaks += find_leaks([(w, t) for w, t in texts if not _is_git_content(w)], IN_GIT)
    assert not leaks, f"{len(leaks)} secret value(s) leaked into {surface}:\n" + "\n".join(leaks)
    assert len(secrets) == len(set(secrets))


def test_the_scan_finds_a_value_where_it_is_meant_to_be(scene: Scene, cluster: ClusterHandle) -> None:
    """The scanner is not blind: the Git checkout holds the Git values, the cluster the others."""
    checkout = [(w, t) for w, t in scene.texts["repo-cache"] if _is_git_content(w)]
    assert find_leaks(checkout, (GIT_STRING,)), "the repo server's working copy should hold the Git file"
    found = find_leaks([("self", f"x{b64(REPO_PASSWORD)}y")], (REPO_PASSWORD,))
    assert found == [f"self: {REPO_PASSWORD}"]
