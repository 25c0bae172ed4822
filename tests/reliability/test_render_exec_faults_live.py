"""Renders that never end, and a repo server killed mid-render, under a running controller.

The controller talks to a real ``argosy repo-server`` process started with
``--exec-timeout 3``. A Helm template looping for hours and a Kustomize exec
generator that sleeps (with a background grandchild) are killed at the exec
timeout together with their process group - no process of theirs is left in
``/proc`` - the Application's ``ComparisonError`` names the source, and the
next render of the same repository is served at once. A Helm template that
includes itself ends at Helm's nesting limit with a clipped message.

The repo server SIGKILLed while it renders: the controller reports the repo
server it could not reach, the server's render processes die with it (none
is left spinning without a deadline), and after a restart on the same port
the Application recovers without the controller being restarted.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from argosy.repo import HttpRepoClient, RenderRequest
from support.cluster import ClusterHandle
from support.controller import RunningController, operation_state, sync_status
from support.git_server import GitHttpServer
from support.gitrepo import GitRepo
from support.naming import unique
from support.repo_server_process import RepoServerProcess
from support.secrets import application

Obj = dict[str, Any]
EXEC_TIMEOUT = 3.0
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


def generator_script(mark: str, seconds: float, background: bool) -> str:
    """A KRM exec function that sleeps (``mark`` in its processes' command lines), then answers."""
    spawn = f"sh -c 'sleep 300' {mark}-bg &\n" if background else ""
    answer = f"cat <<'EOF'\n{RESOURCE_LIST}EOF\n"
    return f"#!/bin/sh\ncat >/dev/null\n{spawn}sh -c 'sleep {seconds}' {mark}-fg\n{answer}"


def kustomization() -> str:
    return "generators:\n- gen.yaml\n"


def processes_with(token: str) -> list[int]:
    """Live processes whose command line holds ``token`` (zombies have none)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and entry.name != str(os.getpid()):
            try:
                if token.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def age(pid: int) -> float:
    """Seconds since ``pid`` started (0 when it is gone)."""
    try:
        start = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0
    return uptime - start / os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    out: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.add(child)
            todo.append(child)
    return out


def alive(pids: set[int]) -> set[int]:
    out = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            out.add(pid)
    return out


def wait_for(check: Any, what: str, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:.0f}s: {what}")


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


@pytest.fixture
def repo_server(tmp_path: Path) -> Iterator[RepoServerProcess]:
    server = RepoServerProcess(tmp_path / "rs", exec_timeout=EXEC_TIMEOUT, git_request_timeout=10).start()
    yield server
    server.stop()


@pytest.fixture
def controller(
    cluster: ClusterHandle, tmp_path: Path, repo_server: RepoServerProcess
) -> Iterator[RunningController]:
    ctl = RunningController(cluster, tmp_path / "unused")
    ctl.repo = HttpRepoClient(repo_server.url, timeout=60)  # type: ignore[assignment]
    yield ctl.start(argocd_cm=PLUGINS)
    ctl.stop()


def test_never_ending_render_is_killed_at_exec_timeout_with_its_process_group(
    git_server: GitHttpServer, controller: RunningController, repo_server: RepoServerProcess, namespace: str
) -> None:
    name, mark = unique("endless"), f"argosy-mark-{uuid.uuid4().hex}"
    repo = git_server.create_repo(name)
    repo.commit(
        {
            "forever/Chart.yaml": CHART.format(name="forever"),
            "forever/templates/cm.yaml": FOREVER,
            "recursing/Chart.yaml": CHART.format(name="recursing"),
            "recursing/templates/cm.yaml": RECURSING,
            "sleeper/kustomization.yaml": kustomization(),
            "sleeper/gen.yaml": GENERATOR,
            "sleeper/gen.sh": generator_script(mark, 300, background=True),
            "ok/cm.yaml": yaml.safe_dump(
                {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ok"}}
            ),
        }
    )
    executable(repo, "sleeper/gen.sh")
    url = git_server.url(name)
    started = time.monotonic()
    for path in ("forever", "sleeper", "recursing"):
        controller.apply_app(f"{path}-{mark[-8:]}", spec(url, path, namespace))
    errors = {}
    for path in ("forever", "sleeper", "recursing"):
        app = controller.wait_app(
            f"{path}-{mark[-8:]}", lambda a: bool(comparison_error(a)), "a ComparisonError", 40
        )
        errors[path] = comparison_error(app)
    took = time.monotonic() - started
    for path, tool in (("forever", "helm"), ("sleeper", "kustomize")):
        assert f"{tool} did not finish within {EXEC_TIMEOUT:g}s and was killed" in errors[path], errors[path]
        assert f"{url} {path}" in errors[path], f"the condition names the source: {errors[path]}"
    assert "nested reference name" in errors["recursing"], errors["recursing"]
    assert len(errors["recursing"]) < 5000, "Helm's 100 KB of nested errors are clipped"
    assert took < 3 * EXEC_TIMEOUT + 20, f"three renders in one repository took {took:.1f}s"
    # The controller retries failed renders, so processes of a new attempt may run: none may be
    # older than the exec timeout (an orphan of the first attempt would be).
    time.sleep(1.5)
    for token in (mark, f"forever-{mark[-8:]}"):
        old = {pid: round(age(pid), 1) for pid in processes_with(token) if age(pid) > EXEC_TIMEOUT + 1}
        assert not old, f"processes of a killed render ({token}) outlived the exec timeout: {old}"

    # The worker and the repository lock are free: once the failing apps are gone (the controller
    # stops retrying them), the next render of the repository is immediate.
    for path in ("forever", "sleeper", "recursing"):
        controller.cluster.kubectl(
            "delete", "application", f"{path}-{mark[-8:]}", "-n", controller.namespace, "--wait=false"
        )
    wait_for(
        lambda: not processes_with(mark) and not processes_with(f"forever-{mark[-8:]}"),
        "no render of the deleted apps running",
        EXEC_TIMEOUT * 3,
    )
    client = HttpRepoClient(repo_server.url, timeout=30)
    asked = time.monotonic()
    result = client.render(RenderRequest.from_application(application({"repoURL": url, "path": "ok"})))
    client.close()
    assert [o["metadata"]["name"] for o in result.manifests()] == ["ok"]
    assert time.monotonic() - asked < EXEC_TIMEOUT, "a following render does not wait for a killed one"


def test_repo_server_killed_mid_render_is_reported_and_recovers_after_restart(
    git_server: GitHttpServer, controller: RunningController, repo_server: RepoServerProcess, namespace: str
) -> None:
    mark = f"argosy-mark-{uuid.uuid4().hex}"
    slow = git_server.create_repo(unique("slowgen"))
    slow.commit(
        {
            "gen/kustomization.yaml": kustomization(),
            "gen/gen.yaml": GENERATOR,
            "gen/gen.sh": generator_script(mark, 1.5, background=False),
        }
    )
    executable(slow, "gen/gen.sh")
    spinning = git_server.create_repo(unique("spinning"))
    spinning.commit({"c/Chart.yaml": CHART.format(name="c"), "c/templates/cm.yaml": FOREVER})
    slow_app, spin_app = f"slow-{mark[-8:]}", f"spin-{mark[-8:]}"
    controller.apply_app(slow_app, spec(git_server.url(slow.bare.stem), "gen", namespace))
    controller.apply_app(spin_app, spec(git_server.url(spinning.bare.stem), "c", namespace))

    # Both renders running (they are in different repositories, so in parallel): kill -9.
    wait_for(lambda: processes_with(f"{mark}-fg"), "the slow generator running", 30)
    wait_for(lambda: processes_with(spin_app), "helm running", 30)
    tree = descendants(repo_server.pid)
    assert tree, "the repo server's render processes were seen"
    repo_server.kill()
    app = controller.wait_app(
        slow_app, lambda a: repo_server.url in comparison_error(a), "the repo server named", 30
    )
    assert sync_status(app) == "Unknown"
    # Nobody is left to enforce the exec timeout: the renders must die with the server.
    wait_for(lambda: not alive(tree), f"the killed server's processes gone: {alive(tree)}", 5)

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
