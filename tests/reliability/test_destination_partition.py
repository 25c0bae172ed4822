"""A destination cluster partitioned away, then back.

The second local cluster is reached through a :class:`~support.tcp_proxy.TcpProxy`
the test black-holes: connections stay open and silent, as when a route drops —
nothing tells the controller that the peer is gone. Its app must turn Unknown with
a condition naming the cluster, nothing may be deleted on either cluster, the app on
the first cluster keeps being reconciled (drift healed during the partition), and
once the network heals the remote app is Synced again without a controller restart.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from support.cluster import ClusterHandle, cluster_secret
from support.controller import RunningController, health_status, operation_state, sync_status
from support.gitrepo import GitRepo
from support.tcp_proxy import TcpProxy

Obj = dict[str, Any]
DETECT_LIMIT_S = 30.0


@pytest.fixture
def proxy(second_cluster: ClusterHandle) -> Iterator[TcpProxy]:
    with TcpProxy("127.0.0.1", int(second_cluster.server.rsplit(":", 1)[1])) as running:
        yield running


@pytest.fixture
def controller(cluster: ClusterHandle, proxy: TcpProxy, tmp_path: Path) -> Iterator[RunningController]:
    """Stopped before the proxy closes, so its watches do not fail on the way out."""
    ctl = RunningController(cluster, tmp_path / "repo-cache")
    yield ctl
    ctl.stop()


def _data(handle: ClusterHandle, namespace: str, name: str) -> str:
    out = handle.kubectl("get", "configmap", name, "-n", namespace, "-o", "json").stdout
    return str(json.loads(out)["data"]["v"])


def _uids(handle: ClusterHandle, namespace: str) -> dict[str, str]:
    out = handle.kubectl("get", "configmaps", "-n", namespace, "-l", "part=app", "-o", "json").stdout
    return {i["metadata"]["name"]: i["metadata"]["uid"] for i in json.loads(out)["items"]}


def _files(prefix: str, version: str) -> dict[str, str | None]:
    return {
        f"{prefix}/cm-{i}.yaml": yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": f"{prefix}-{i}", "labels": {"part": "app"}},
                "data": {"v": version},
            }
        )
        for i in range(2)
    }


def _spec(repo: GitRepo, path: str, destination: Obj) -> Obj:
    return {
        "project": "default",
        "source": {"repoURL": f"file://{repo.bare}", "path": path},
        "destination": destination,
        "syncPolicy": {
            "automated": {"prune": True, "selfHeal": True},
            "syncOptions": ["CreateNamespace=true"],
        },
    }


def _timed(
    ctl: RunningController, app: str, check: Callable[[Obj], bool], what: str, timeout: float
) -> float:
    started = time.monotonic()
    ctl.wait_app(app, check, what, timeout)
    return time.monotonic() - started


def test_partitioned_destination_goes_unknown_keeps_everything_and_resyncs(
    cluster: ClusterHandle,
    second_cluster: ClusterHandle,
    controller: RunningController,
    proxy: TcpProxy,
    namespace: str,
    tmp_path: Path,
) -> None:
    ctl = controller.start()
    repo = GitRepo(tmp_path / "apps.git")
    repo.commit({**_files("local", "1"), **_files("remote", "1")})
    remote_ns = namespace  # the same name on the second cluster, created by the sync
    secret = cluster_secret(ctl.namespace, second_cluster, "east", server=proxy.url)
    cluster.kubectl("apply", "-f", "-", stdin=yaml.safe_dump(secret))
    ctl.apply_app(
        "local",
        _spec(repo, "local", {"server": "https://kubernetes.default.svc", "namespace": namespace}),
    )
    ctl.apply_app("remote", _spec(repo, "remote", {"name": "east", "namespace": remote_ns}))
    for name in ("local", "remote"):
        ctl.wait_app(
            name, lambda a: sync_status(a) == "Synced" and health_status(a) == "Healthy", "synced", 90
        )
    local_uids, remote_uids = _uids(cluster, namespace), _uids(second_cluster, remote_ns)
    assert len(local_uids) == len(remote_uids) == 2
    remote_op = operation_state(ctl.app("remote"))["startedAt"]

    proxy.set_mode("blackhole")
    try:
        # The first cluster is unaffected: drift there is healed during the partition.
        cluster.kubectl("patch", "configmap", "local-0", "-n", namespace, "-p", '{"data":{"v":"drift"}}')
        detected = _timed(ctl, "remote", lambda a: sync_status(a) == "Unknown", "Unknown", DETECT_LIMIT_S)
        app = ctl.app("remote")
        conditions = [c for c in app["status"]["conditions"] if c["type"] == "ComparisonError"]
        assert conditions and "east" in conditions[0]["message"], app["status"]["conditions"]
        assert sorted(r["name"] for r in app["status"]["resources"]) == sorted(remote_uids)
        ctl.wait_app(
            "local",
            lambda a: sync_status(a) == "Synced" and _data(cluster, namespace, "local-0") == "1",
            "drift on the first cluster healed during the partition",
            30,
        )
    finally:
        proxy.set_mode("forward")
    resynced = _timed(ctl, "remote", lambda a: sync_status(a) == "Synced", "Synced after the partition", 60)
    print(
        f"partition: Unknown after {detected:.1f} s (drift on the first cluster healed meanwhile); "
        f"Synced {resynced:.1f} s after the network healed"
    )
    assert _uids(cluster, namespace) == local_uids, "nothing deleted or re-created on the first cluster"
    assert _uids(second_cluster, remote_ns) == remote_uids, "nothing deleted on the partitioned cluster"
    assert operation_state(ctl.app("remote"))["startedAt"] == remote_op, "no sync of the unreachable app"
    cluster.kubectl("delete", "secret", secret["metadata"]["name"], "-n", ctl.namespace, check=False)
    second_cluster.kubectl("delete", "namespace", remote_ns, "--wait=false", check=False)
