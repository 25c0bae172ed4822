"""up/down/status behave as the issue asks: reuse when up, no error when down, stop by PID."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from argosy.devcluster import build
from argosy.devcluster.cluster import COMPONENTS, ClusterError, LocalCluster
from support.cluster import ClusterHandle


def _argosy(*args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("argosy")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=300, check=False)


def test_up_when_already_up_reuses(cluster: ClusterHandle) -> None:
    before = cluster.cluster.load_state()
    assert before is not None
    messages: list[str] = []
    again = cluster.cluster.up(progress=messages.append)
    assert again.processes == before.processes
    assert any("already up" in m for m in messages)


def test_up_refuses_to_reuse_a_cluster_started_with_another_controller_manager_qps(
    cluster: ClusterHandle,
) -> None:
    before = cluster.cluster.load_state()
    assert before is not None and before.controller_manager_qps == 0
    with pytest.raises(ClusterError, match=r"QPS default \(20\), not 200: .*dev cluster down"):
        cluster.cluster.up(controller_manager_qps=200)
    assert cluster.cluster.load_state() == before, "the running cluster is left as it was"


def test_status_and_kubeconfig_commands(cluster: ClusterHandle) -> None:
    status = _argosy("dev", "cluster", "status", cluster.name, "-o", "json")
    assert status.returncode == 0, status.stderr
    assert '"ready": true' in status.stdout
    for comp in COMPONENTS:
        assert f'"{comp}": true' in status.stdout
    path = _argosy("dev", "cluster", "kubeconfig", cluster.name)
    assert path.stdout.strip() == str(cluster.kubeconfig)
    logs = _argosy("dev", "cluster", "logs", cluster.name, "kube-apiserver", "--tail", "5")
    assert logs.returncode == 0 and logs.stdout.strip()


def test_down_when_down_is_not_an_error() -> None:
    name = f"never-{uuid.uuid4().hex[:6]}"
    result = _argosy("dev", "cluster", "down", name)
    assert result.returncode == 0
    assert "was not running" in result.stderr
    assert LocalCluster(name).down() == []


def _running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_down_stops_exactly_the_recorded_processes() -> None:
    cluster = LocalCluster(f"life-{os.getpid()}")
    state = cluster.up()
    bystander = subprocess.Popen(["sleep", "60"])
    real_kwok = state.processes["kwok"].pid
    try:
        pids = {c: r.pid for c, r in state.processes.items()}
        assert set(pids) == set(COMPONENTS)
        # Record a PID that is not ours (as after PID reuse): the start time does not
        # match, so down must leave it alone.
        state.processes["kwok"].pid = bystander.pid
        cluster._save_state(state)
        stopped = cluster.down()
        assert set(stopped) == set(COMPONENTS) - {"kwok"}
        assert bystander.poll() is None, "down signalled a process it did not start"
        for comp, pid in pids.items():
            if comp != "kwok":
                assert not _running(pid), f"{comp} still runs after down"
        assert not cluster.dir.exists()
    finally:
        bystander.kill()
        bystander.wait()
        if _running(real_kwok):
            os.kill(real_kwok, 9)
        cluster.down()


def test_second_up_reuses_cached_binaries() -> None:
    """With the binaries cached, up builds nothing (the warm-start time is in bench/)."""
    assert all(build.is_cached(c) for c in build.CONTROL_PLANE)
    cluster = LocalCluster(f"warm-{os.getpid()}")
    messages: list[str] = []
    try:
        state = cluster.up(progress=messages.append)
        assert state.ready_seconds > 0
        assert not [m for m in messages if m.startswith("building")]
    finally:
        cluster.down()


def test_up_and_down_take_several_names(cluster: ClusterHandle) -> None:
    absent = [f"gone-{uuid.uuid4().hex[:6]}" for _ in range(2)]
    down = _argosy("dev", "cluster", "down", *absent)
    assert down.returncode == 0, down.stderr
    assert [f"cluster {n}: was not running" in down.stderr for n in absent] == [True, True]
    up = _argosy("dev", "cluster", "up", cluster.name, cluster.name)  # both already up: reused twice
    assert up.returncode == 0, up.stderr
    assert up.stdout.count(f"export KUBECONFIG={cluster.kubeconfig}") == 2


def test_up_on_a_running_cluster_adds_the_kwok_nodes_asked_for() -> None:
    """A fleet benchmark of 1,000 apps reusing the cluster of a 100-app run had too few nodes:
    a quarter of its Pods stayed Pending and the run measured the scheduler, not the controller."""
    cluster = LocalCluster(f"nodes-{uuid.uuid4().hex[:6]}")
    try:
        cluster.up(nodes=1)
        messages: list[str] = []
        cluster.up(nodes=3, progress=messages.append)
        assert any("already up" in m for m in messages)
        nodes = cluster.request("/api/v1/nodes")["items"]
        assert sorted(n["metadata"]["name"] for n in nodes) == ["kwok-node-0", "kwok-node-1", "kwok-node-2"]
    finally:
        cluster.down()
