"""The Git server fails under a running controller: down, hanging, trickling, history rewritten.

An automated Application with prune follows a repository served by the real
``git http-backend`` server behind a :class:`FaultProxy` (one URL throughout).
For each fault a refresh must end within the Git request timeout with a
``ComparisonError`` naming the repository and what happened, while the last
comparison is kept (resources, health) and no live object is touched (same
uid and resourceVersion: nothing pruned, nothing re-applied). When the server
answers again, the same controller picks up what was committed meanwhile.

A force-pushed branch (the old commit gone from the server) is followed to the
new history, and a commit that vanished before the controller fetched it is
reported as not found in that repository.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from argosy.repo import RepoService
from support.cluster import ClusterHandle
from support.controller import RunningController, health_status, operation_state, sync_status
from support.fault_proxy import FaultProxy, Mode
from support.git_server import GitHttpServer
from support.gitrepo import git
from support.naming import unique

Obj = dict[str, Any]
REQUEST_TIMEOUT = 2.0


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


@pytest.fixture
def controller(cluster: ClusterHandle, tmp_path: Path) -> Iterator[RunningController]:
    ctl = RunningController(cluster, tmp_path / "repo-cache")
    ctl.repo = RepoService(tmp_path / "repo-cache", timeout=20, git_request_timeout=REQUEST_TIMEOUT)
    yield ctl.start()
    ctl.stop()


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
            controller.refresh("shop", wait=False)
            app = controller.wait_app(
                "shop",
                lambda a, m=mode: _WHAT[m] in comparison_error(a).lower(),
                f"a ComparisonError saying the Git server is {mode}",
                30,
            )
            took = time.monotonic() - started
            message = comparison_error(app)
            assert url in message, f"the condition names the repository: {message}"
            assert took < REQUEST_TIMEOUT + 15, f"{mode}: the refresh failed after {took:.1f}s"
            assert sync_status(app) == "Unknown", "a comparison that did not happen is Unknown"
            assert app["status"]["resources"] == kept, "the last comparison's resources are kept"
            assert health_status(app) == "Healthy"
            assert versions(cluster, namespace) == before, f"{mode}: no live object touched"
            assert len(app["status"]["history"]) == 1, f"{mode}: no sync ran"
        proxy.set_mode("forward")
        controller.refresh("shop", wait=False)
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
