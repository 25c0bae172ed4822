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

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.cluster import CLUSTER_STARTS, ClusterHandle, cluster_name, start_cluster
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


#: Tests that use what there is one of per machine: real nodes (bridges, network namespaces,
#: iptables chains, the demo's cluster name) and the shared image and binary caches they build.
#: Under pytest-xdist they run one after another on one worker.
_MACHINE_WIDE = ("tests/integration/realnode/", "tests/e2e/demo/", "tests/integration/devcluster/")
_OWN_GROUP = ("tests/integration/devcluster/test_nodes_stay_ready.py",)  # session_end: scheduled last


def xdist_group(nodeid: str) -> str:
    """The unit of work a pytest-xdist worker takes whole: the test's file (its module
    fixtures are made once), or ``machine`` for the machine-wide tests."""
    path = nodeid.split("::", 1)[0]
    if path.startswith(_MACHINE_WIDE) and not path.startswith(_OWN_GROUP):
        return "machine"
    return path


@pytest.hookimpl(tryfirst=True, optionalhook=True)  # a pytest-xdist hook (the controller side)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Hand out whole groups (:func:`xdist_group`) in collection order, so ``session_end`` tests
    still come last. (``--dist loadgroup`` would do it with ``xdist_group`` marks, but
    pytest-xdist 3.8 marks a test's group by rewriting ``item._nodeid``, which pytest 9.2 no
    longer reads: the marks are silently ignored.)"""
    if config.getvalue("dist") not in ("load", "loadfile", "loadscope", "loadgroup"):
        return None
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            return xdist_group(nodeid)

    return GroupScheduling(config, log)


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


def pytest_sessionfinish(session: pytest.Session) -> None:
    """An xdist worker hands its cluster start lines to the controller, which prints them."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["cluster_starts"] = list(CLUSTER_STARTS)


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook (the controller side)
def pytest_testnodedown(node: Any, error: Any) -> None:
    CLUSTER_STARTS.extend(getattr(node, "workeroutput", {}).get("cluster_starts", ()))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say how long the local clusters took to start (the warm-start figure of the setup)."""
    for line in CLUSTER_STARTS:
        terminalreporter.write_line(line)


_NODE_WATCHES: dict[str, NodeWatch] = {}


@pytest.fixture(scope="session")
def cluster() -> Iterator[ClusterHandle]:
    """The session's main local cluster (started on first use). A :class:`NodeWatch` starts
    with it and samples its nodes for the rest of the session (see ``node_watch``)."""
    for handle in start_cluster(cluster_name("main")):
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
    yield from start_cluster(cluster_name("second"))


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
