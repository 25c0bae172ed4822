"""The repo server's inputs and the repo server itself fail under a running controller.

One controller talks to one real ``argosy repo-server`` process (``--exec-timeout 3
--git-request-timeout 2``) for the whole module; the last test kills it.

Git (issue 21, fault 5): an automated Application with prune follows a repository
served by the real ``git http-backend`` server behind a :class:`FaultProxy` (one
URL throughout). Down, hanging or trickling at 1 byte/s, a refresh ends within the
request timeout with a ``ComparisonError`` naming the repository and what happened;
the last comparison is kept (resources, health) and no live object is touched (same
uid and resourceVersion: nothing pruned, nothing re-applied). When the server
answers again the same controller applies what was committed meanwhile. A
force-pushed branch (the old commits pruned on the server) is followed, and a
commit that vanished before it was fetched is reported as not found there.

Renders (fault 6): a Helm template looping for hours and a Kustomize exec generator
that sleeps (with a background grandchild) are killed at the exec timeout with their
process group - nothing of theirs is left in ``/proc`` - the condition names the
source, and the next render of the same repository is served at once. A Helm
template including itself ends at Helm's nesting limit with a clipped message. The
repo server SIGKILLed mid-render: the controller names the repo server it could not
reach, the server's render processes die with it, and after a restart on the same
port the Application recovers without restarting the controller.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from argosy.repo import HttpRepoClient, RenderRequest
from support.cluster import ClusterHandle
from support.controller import RunningController, health_status, operation_state, sync_status
from support.fault_proxy import FaultProxy, Mode
from support.git_server import GitHttpServer
from support.gitrepo import GitRepo, git
from support.naming import unique
from support.processes import alive, descendants, processes_with, wait_for
from support.repo_server_process import RepoServerProcess
from support.secrets import application

Obj = dict[str, Any]
EXEC_TIMEOUT = 3.0
REQUEST_TIMEOUT = 2.0
PLUGINS = {"kustomize.buildOptions": "--enable-alpha-plugins --enable-exec"}


CHART = "apiVersion: v2\nname: {name}\nversion: 0.1.0\n"
# 10^10 iterations with no output: hours of CPU, the "template that never ends".
FOREVER = (
    "{{- range until 100000 }}{{- range until 100000 }}{{- end }}{{- end }}\n"
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: never\n"
)
RECURSING = '{{- define "loop" }}{{ include "loop" . }}{{- end }}\n{{ include "loop" . }}\n'
GENERATOR = """apiVersion: argosy.test/v1
kind: Generated
metadata:
  name: gen
  annotations:
    config.kubernetes.io/function: |
      exec:
        path: ./gen.sh
"""
RESOURCE_LIST = """apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: generated
  data:
    color: blue
"""


def sleeping_generator(mark: str) -> str:
    """A KRM exec function that sleeps for good, with a grandchild in the background."""
    return f"#!/bin/sh\ncat >/dev/null\nsh -c 'sleep 300' {mark}-bg &\nsh -c 'sleep 300' {mark}-fg\n"


def held_generator(mark: str, hold: Path) -> str:
    """A KRM exec function that answers once ``hold`` is gone; while waiting it writes a
    newline every 0.1 s, so it ends (SIGPIPE) when kustomize is gone."""
    wait = f"sh -c 'while [ -e \"$1\" ]; do sleep 0.1; echo; done' {mark}-fg {hold}\n"
    return f"#!/bin/sh\ncat >/dev/null\n{wait}cat <<'EOF'\n{RESOURCE_LIST}EOF\n"


def kustomization() -> str:
    return "generators:\n- gen.yaml\n"


def configmap(name: str, color: str) -> str:
    return yaml.safe_dump(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"color": color}}
    )


def versions(cluster: ClusterHandle, namespace: str) -> dict[str, str]:
    """``uid@resourceVersion`` of every ConfigMap the app manages."""
    out = cluster.kubectl("get", "configmaps", "-n", namespace, "-o", "json").stdout
    return {
        o["metadata"]["name"]: f"{o['metadata']['uid']}@{o['metadata']['resourceVersion']}"
        for o in json.loads(out)["items"]
        if o["metadata"]["name"] != "kube-root-ca.crt"
    }


def color(cluster: ClusterHandle, namespace: str, name: str) -> str:
    out = cluster.kubectl("get", "configmap", name, "-n", namespace, "-o", "jsonpath={.data.color}").stdout
    return out.strip()


def comparison_error(app: Obj) -> str:
    for cond in (app.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "ComparisonError":
            return str(cond.get("message"))
    return ""


def spec(url: str, path: str, namespace: str) -> Obj:
    return {
        "project": "default",
        "source": {"repoURL": url, "path": path},
        "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
        "syncPolicy": {"automated": {"prune": True}},
    }


def executable(repo: GitRepo, path: str) -> None:
    (repo.work / path).chmod(0o755)
    repo.commit({}, f"{path} is executable")


def app_spec(url: str, namespace: str, revision: str = "main") -> Obj:
    return {
        "project": "default",
        "source": {"repoURL": url, "path": "app", "targetRevision": revision},
        "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
        "syncPolicy": {"automated": {"prune": True, "selfHeal": True}},
    }


def wait_synced(ctl: RunningController, name: str, revision: str) -> Obj:
    return ctl.wait_app(
        name,
        lambda a: (
            sync_status(a) == "Synced"
            and a["status"]["sync"].get("revision") == revision
            and operation_state(a).get("phase") == "Succeeded"
            and operation_state(a)["syncResult"]["revision"] == revision
            and not comparison_error(a)
        ),
        f"synced to {revision[:8]} without a ComparisonError",
        45,
    )


_WHAT = {"down": "couldn't connect to server", "hang": "no answer in time", "slow": "no answer in time"}


@pytest.fixture(scope="module")
def repo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RepoServerProcess]:
    root = tmp_path_factory.mktemp("repo-faults") / "rs"
    server = RepoServerProcess(root, exec_timeout=EXEC_TIMEOUT, git_request_timeout=REQUEST_TIMEOUT)
    yield server.launch()  # the controller fixture waits for it, having started meanwhile
    server.stop()


@pytest.fixture(scope="module")
def controller(
    cluster: ClusterHandle, tmp_path_factory: pytest.TempPathFactory, repo_server: RepoServerProcess
) -> Iterator[RunningController]:
    ctl = RunningController(cluster, tmp_path_factory.mktemp("unused-repo-cache"))
    ctl.repo = HttpRepoClient(repo_server.url, timeout=60)  # type: ignore[assignment]
    ctl.start(argocd_cm=PLUGINS)
    repo_server.wait_ready()
    yield ctl
    repo_server.stop()  # first: workers waiting on a render return at once, so the stop is quick
    ctl.stop()


@pytest.fixture(autouse=True)
def _apps_deleted_after_each_test(controller: RunningController) -> Iterator[None]:
    """The controller outlives each test's namespace: its apps go with the test, or the
    controller would keep self-healing them into a namespace being deleted."""
    yield
    controller.cluster.kubectl(
        "delete", "applications", "--all", "-n", controller.namespace, "--wait=false", check=False
    )


# -- fault 5: the Git server ------------------------------------------------------------
def test_git_server_down_hanging_or_slow_keeps_last_render_and_recovers(
    cluster: ClusterHandle, git_server: GitHttpServer, controller: RunningController, namespace: str
) -> None:
    name = unique("gitfault")
    repo = git_server.create_repo(name)
    first = repo.commit({"app/a.yaml": configmap("a", "blue"), "app/b.yaml": configmap("b", "blue")})
    with FaultProxy(git_server.port) as proxy:
        url = proxy.url(name)
        controller.apply_app("shop", app_spec(url, namespace))
        before_app = wait_synced(controller, "shop", first)
        before = versions(cluster, namespace)
        assert set(before) == {"a", "b"}
        kept = before_app["status"]["resources"]

        # Meanwhile Git moves on: the controller must not see it until the server answers.
        second = repo.commit({"app/a.yaml": configmap("a", "green")}, "a turns green")
        faults: list[Mode] = ["down", "hang", "slow"]
        for mode in faults:
            proxy.set_mode(mode)
            started = time.monotonic()
            # Wait for this refresh to be handled (the annotation goes with the status write):
            # hang and slow fail with the same words, so the condition alone does not tell.
            app = controller.refresh("shop")
            assert app is not None
            took = time.monotonic() - started
            message = comparison_error(app)
            assert _WHAT[mode] in message.lower(), f"{mode}: {message}"
            assert url in message, f"the condition names the repository: {message}"
            assert took < REQUEST_TIMEOUT + 15, f"{mode}: the refresh failed after {took:.1f}s"
            assert sync_status(app) == "Unknown", "a comparison that did not happen is Unknown"
            assert app["status"]["resources"] == kept, "the last comparison's resources are kept"
            assert health_status(app) == "Healthy"
            assert versions(cluster, namespace) == before, f"{mode}: no live object touched"
            assert len(app["status"]["history"]) == 1, f"{mode}: no sync ran"
        proxy.set_mode("forward")
        controller.refresh("shop")
        wait_synced(controller, "shop", second)
    assert color(cluster, namespace, "a") == "green", "the commit made while the server was down is applied"
    after = versions(cluster, namespace)
    assert after["b"] == before["b"], "b was neither pruned nor rewritten"
    assert after["a"].split("@")[0] == before["a"].split("@")[0], "a was updated in place, not re-created"


def test_force_pushed_history_is_followed_and_a_vanished_commit_is_named(
    cluster: ClusterHandle, git_server: GitHttpServer, controller: RunningController, namespace: str
) -> None:
    name = unique("rewrite")
    repo = git_server.create_repo(name)
    url = git_server.url(name)
    old = repo.commit({"app/a.yaml": configmap("a", "blue"), "app/b.yaml": configmap("b", "blue")})
    controller.apply_app("rewritten", app_spec(url, namespace))
    wait_synced(controller, "rewritten", old)
    before = versions(cluster, namespace)
    # A commit pushed and then rewritten away before the controller ever fetched it.
    vanished = repo.commit({"app/b.yaml": configmap("b", "purple")}, "soon gone")

    # Rewrite the branch: a new root commit with different content, force-pushed; the old
    # commits are expired and pruned on the server, so no fetch can bring them back.
    git("checkout", "-q", "--orphan", "rewritten", cwd=repo.work)
    (repo.work / "app" / "a.yaml").write_text(configmap("a", "red"))
    (repo.work / "app" / "b.yaml").write_text(configmap("b", "blue"))
    git("add", "-A", cwd=repo.work)
    git("commit", "-q", "-m", "history rewritten", cwd=repo.work)
    git("push", "-q", "--force", str(repo.bare), "rewritten:refs/heads/main", cwd=repo.work)
    new = repo.sha("rewritten")
    git("reflog", "expire", "--expire=now", "--all", cwd=repo.bare)
    git("gc", "-q", "--prune=now", cwd=repo.bare)
    with pytest.raises(AssertionError):
        git("cat-file", "-e", old, cwd=repo.bare)

    controller.refresh("rewritten", wait=False)
    app = wait_synced(controller, "rewritten", new)
    assert color(cluster, namespace, "a") == "red"
    after = versions(cluster, namespace)
    assert after["b"] == before["b"], "b is the same in both histories: untouched"
    assert [h["revision"] for h in app["status"]["history"]] == [old, new]

    controller.apply_app("pinned", app_spec(url, namespace, revision=vanished))
    pinned = controller.wait_app("pinned", lambda a: bool(comparison_error(a)), "a ComparisonError", 30)
    message = comparison_error(pinned)
    assert vanished in message and url in message and "not found" in message, message
    assert not (pinned["status"].get("history") or []), "nothing synced from a commit that is gone"
    assert versions(cluster, namespace) == after, "nothing touched by the pinned app's failure"


# -- fault 6: renders and the repo server ----------------------------------------------
def test_never_ending_render_is_killed_at_exec_timeout_with_its_process_group(
    git_server: GitHttpServer, controller: RunningController, repo_server: RepoServerProcess, namespace: str
) -> None:
    mark = f"argosy-mark-{uuid.uuid4().hex}"
    charts = git_server.create_repo(unique("endless"))
    charts.commit(
        {
            "forever/Chart.yaml": CHART.format(name="forever"),
            "forever/templates/cm.yaml": FOREVER,
            "recursing/Chart.yaml": CHART.format(name="recursing"),
            "recursing/templates/cm.yaml": RECURSING,
            "ok/cm.yaml": yaml.safe_dump(
                {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ok"}}
            ),
        }
    )
    plugins = git_server.create_repo(unique("sleeper"))  # another repository: renders in parallel
    plugins.commit(
        {
            "sleeper/kustomization.yaml": kustomization(),
            "sleeper/gen.yaml": GENERATOR,
            "sleeper/gen.sh": sleeping_generator(mark),
        }
    )
    executable(plugins, "sleeper/gen.sh")
    urls = {
        "forever": git_server.url(charts.bare.stem),
        "recursing": git_server.url(charts.bare.stem),
        "sleeper": git_server.url(plugins.bare.stem),
    }
    apps = {path: f"{path}-{mark[-8:]}" for path in urls}
    started = time.monotonic()
    for path, url in urls.items():
        controller.apply_app(apps[path], spec(url, path, namespace))
    errors = {}
    for path, app_name in apps.items():
        app = controller.wait_app(app_name, lambda a: bool(comparison_error(a)), "a ComparisonError", 40)
        errors[path] = comparison_error(app)
    took = time.monotonic() - started
    for path, tool in (("forever", "helm"), ("sleeper", "kustomize")):
        assert f"{tool} did not finish within {EXEC_TIMEOUT:g}s and was killed" in errors[path], errors[path]
        assert f"{urls[path]} {path}" in errors[path], f"the condition names the source: {errors[path]}"
    assert "nested reference name" in errors["recursing"], errors["recursing"]
    assert len(errors["recursing"]) < 5000, "Helm's 100 KB of nested errors are clipped"
    assert took < 2 * EXEC_TIMEOUT + 20, f"the renders took {took:.1f}s"

    # Once the apps are deleted (the controller stops retrying them) no process of theirs may
    # remain: the generator's `sleep 300` grandchild and the looping helm would, if only the
    # direct child were killed. Then the repository's lock and the server's worker are free:
    # the next render of the same repository is immediate.
    for app_name in apps.values():
        controller.cluster.kubectl(
            "delete", "application", app_name, "-n", controller.namespace, "--wait=false"
        )
    wait_for(
        lambda: not processes_with(mark) and not processes_with(apps["forever"]),
        f"no process of the killed renders left: {processes_with(mark) + processes_with(apps['forever'])}",
        EXEC_TIMEOUT * 3,
    )
    client = HttpRepoClient(repo_server.url, timeout=30)
    asked = time.monotonic()
    ok = application({"repoURL": urls["forever"], "path": "ok"})
    result = client.render(RenderRequest.from_application(ok))
    client.close()
    assert [o["metadata"]["name"] for o in result.manifests()] == ["ok"]
    assert time.monotonic() - asked < EXEC_TIMEOUT, "a following render does not wait for a killed one"


def test_repo_server_killed_mid_render_is_reported_and_recovers_after_restart(
    git_server: GitHttpServer,
    controller: RunningController,
    repo_server: RepoServerProcess,
    namespace: str,
    tmp_path: Path,
) -> None:
    mark, hold = f"argosy-mark-{uuid.uuid4().hex}", tmp_path / "hold"
    hold.touch()
    slow = git_server.create_repo(unique("slowgen"))
    slow.commit(
        {
            "gen/kustomization.yaml": kustomization(),
            "gen/gen.yaml": GENERATOR,
            "gen/gen.sh": held_generator(mark, hold),
        }
    )
    executable(slow, "gen/gen.sh")
    slow_app = f"slow-{mark[-8:]}"
    controller.apply_app(slow_app, spec(git_server.url(slow.bare.stem), "gen", namespace))

    wait_for(lambda: processes_with(f"{mark}-fg"), "the render waiting in its generator", 30)
    tree = descendants(repo_server.pid)
    assert len(tree) >= 2, f"kustomize and its generator run under the repo server: {tree}"
    repo_server.kill()
    app = controller.wait_app(
        slow_app, lambda a: repo_server.url in comparison_error(a), "the repo server named", 30
    )
    assert sync_status(app) == "Unknown"
    # Nobody is left to enforce the exec timeout: kustomize must die with the server (its
    # generator then ends on its next write), while the generator would still wait.
    wait_for(lambda: not alive(tree), f"the killed server's processes gone: {alive(tree)}", 3)

    hold.unlink()
    repo_server.start()
    controller.refresh(slow_app, wait=False)
    app = controller.wait_app(
        slow_app,
        lambda a: sync_status(a) == "Synced" and operation_state(a).get("phase") == "Succeeded",
        "synced after the repo server came back",
        40,
    )
    assert not comparison_error(app)
    assert [r["name"] for r in app["status"]["resources"]] == ["generated"]
