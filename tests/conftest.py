"""Shared fixtures: one real local control plane per test session.

Tests under ``tests/unit`` are marked ``unit`` (no cluster, no network, no
external binary), under ``tests/integration`` ``integration`` and under
``tests/e2e`` ``e2e``, so ``pytest -m unit`` runs anywhere in seconds.

The ``cluster`` and ``second_cluster`` fixtures start real clusters (see
``argosy.devcluster``) the first time a test asks for one and stop them when
the session ends. Set ``ARGOSY_TEST_REUSE_CLUSTER=1`` to keep them between runs
while iterating locally.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from argosy.devcluster.cluster import LocalCluster
from support.cluster import ClusterHandle
from support.git_server import GitHttpServer
from support.helm_repo import HelmRepoServer
from support.local_repos import allow_local_repositories
from support.naming import GIT_TOKEN, GIT_USER, HELM_USER
from support.node_watch import NodeWatch
from support.peer_data import peer_data_dir
from support.ssh_server import SshServer

__all__ = ["ClusterHandle", "peer_data_dir"]


@pytest.fixture(scope="session", autouse=True)
def _allow_local_repositories(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every server of the suite is on loopback and every bare repository under the temp
    directory: allow exactly those, as an operator would (support/local_repos.py)."""
    allow_local_repositories([tmp_path_factory.getbasetemp()])


_MARK_BY_DIR = {
    "unit": "unit",
    "integration": "integration",
    "e2e": "e2e",
    "reliability": "reliability",
    "security": "security",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark tests by directory, and move ``session_end`` tests after all others (they assert on
    what a watcher saw during the whole session)."""
    items.sort(key=lambda item: item.get_closest_marker("session_end") is not None)
    root = Path(__file__).parent
    for item in items:
        try:
            part = Path(str(item.fspath)).relative_to(root).parts[0]
        except ValueError:
            continue
        mark = _MARK_BY_DIR.get(part)
        if mark:
            item.add_marker(getattr(pytest.mark, mark))


_STARTS: list[str] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say how long the local clusters took to start (the warm-start figure of the setup)."""
    for line in _STARTS:
        terminalreporter.write_line(line)


def _start(name: str, real_nodes: int = 0) -> Iterator[ClusterHandle]:
    cluster = LocalCluster(name)
    started = time.monotonic()
    state = cluster.up(progress=lambda m: print(f"[{name}] {m}", flush=True), real_nodes=real_nodes)
    _STARTS.append(
        f"local cluster {name}: control plane ready in {state.ready_seconds}s, "
        f"up (incl. binary cache check) in {time.monotonic() - started:.1f}s"
    )
    try:
        yield ClusterHandle(cluster=cluster, kubeconfig=cluster.kubeconfig, server=state.server)
    finally:
        if os.environ.get("ARGOSY_TEST_REUSE_CLUSTER") != "1":
            cluster.down()


def _cluster_name(role: str) -> str:
    if os.environ.get("ARGOSY_TEST_REUSE_CLUSTER") == "1":
        return f"test-{role}"
    return f"test-{role}-{os.getpid()}"


_NODE_WATCHES: dict[str, NodeWatch] = {}


@pytest.fixture(scope="session")
def cluster() -> Iterator[ClusterHandle]:
    """The session's main local cluster (started on first use). A :class:`NodeWatch` starts
    with it and samples its nodes for the rest of the session (see ``node_watch``)."""
    for handle in _start(_cluster_name("main")):
        watch = _NODE_WATCHES[handle.name] = NodeWatch(handle).start()
        try:
            yield handle
        finally:
            watch.stop()


@pytest.fixture(scope="session")
def node_watch(cluster: ClusterHandle) -> NodeWatch:
    """The watch started with the main cluster (tests/support/node_watch.py)."""
    return _NODE_WATCHES[cluster.name]


@pytest.fixture(scope="session")
def second_cluster() -> Iterator[ClusterHandle]:
    """A second, independent cluster for multi-cluster tests."""
    yield from _start(_cluster_name("second"))


@pytest.fixture(scope="session")
def real_cluster() -> Iterator[ClusterHandle]:
    """A cluster with one real node (kubelet + containerd) beside a tainted kwok node, for the
    tests that need containers that really run. Needs root (namespaces, mounts, cgroups)."""
    if os.geteuid() != 0:
        pytest.skip("real nodes need root: network namespaces, mounts and cgroups")
    yield from _start(_cluster_name("real"), real_nodes=1)


@pytest.fixture
def namespace(cluster: ClusterHandle) -> Iterator[str]:
    """A throwaway namespace in the main cluster, deleted (without waiting) after the test."""
    name = f"t-{uuid.uuid4().hex[:10]}"
    cluster.kubectl("create", "namespace", name)
    try:
        yield name
    finally:
        cluster.kubectl("delete", "namespace", name, "--wait=false", "--ignore-not-found", check=False)


# --- loopback Git, SSH and Helm servers, shared by the repo and controller tests -------------
@pytest.fixture(scope="session")
def servers_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("servers")


@pytest.fixture(scope="session")
def git_server(servers_root: Path) -> Iterator[GitHttpServer]:
    with GitHttpServer(servers_root, users=dict([GIT_USER]), tokens=(GIT_TOKEN,)) as server:
        yield server


@pytest.fixture(scope="session")
def git_tls_server(servers_root: Path) -> Iterator[GitHttpServer]:
    with GitHttpServer(servers_root / "tls", users=dict([GIT_USER]), tls=True) as server:
        yield server


@pytest.fixture(scope="session")
def ssh_server(servers_root: Path) -> Iterator[SshServer]:
    if not SshServer.available():
        pytest.fail("sshd is not installed: run dev/setup.sh (it installs openssh-server)")
    with SshServer(servers_root) as server:
        yield server


@pytest.fixture(scope="session")
def helm_repo(servers_root: Path) -> Iterator[HelmRepoServer]:
    with HelmRepoServer(servers_root) as server:
        yield server


@pytest.fixture(scope="session")
def private_helm_repo(servers_root: Path) -> Iterator[HelmRepoServer]:
    with HelmRepoServer(servers_root, auth=HELM_USER) as server:
        yield server
