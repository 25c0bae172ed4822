"""Two clusters with real nodes run at once, and ``down`` (or a failed ``up``) leaves nothing.

Each real node has its own network namespace on its cluster's bridge (``argosyN``), its own
containerd, cgroup tree and Pod CIDR. Stopping one cluster must not disturb the other, and
must remove its containers, shims, mounts, namespaces (the node's and its Pods'), bridge and
cgroups. A kubelet that cannot start is named with its log tail, and the half-started
cluster is removed the same way.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from argosy.devcluster import cluster as cluster_mod
from argosy.devcluster import realnode
from argosy.devcluster.cluster import ClusterError, LocalCluster, kubectl
from support.cluster import ClusterHandle

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="real nodes need root")


def _shell_pod(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "containers": [
                {
                    "name": "c",
                    "image": "docker.io/library/busybox:argosy",
                    "imagePullPolicy": "IfNotPresent",
                    "command": ["sleep", "3600"],
                }
            ],
            "terminationGracePeriodSeconds": 1,
        },
    }


def _leftovers(c: LocalCluster, bridge: str) -> list[str]:
    """Everything of cluster ``c`` still present on the machine."""
    found: list[str] = []
    netns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    found += [f"netns {line.split()[0]}" for line in netns.splitlines() if f"argosy-{c.name}-" in line]
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    found += [f"link {bridge}" for line in links.splitlines() if f": {bridge}:" in line]
    prefix = str(c.dir.resolve())
    mounts = Path("/proc/self/mountinfo").read_text().splitlines()
    found += [f"mount {m.split()[4]}" for m in mounts if m.split()[4].startswith(prefix)]
    for hierarchy in Path("/sys/fs/cgroup").iterdir():
        found += [f"cgroup {p}" for p in hierarchy.glob(f"argosy-{c.name}-*")]
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if prefix in cmdline:
                found.append(f"process {proc.name}: {cmdline[:120]}")
    if c.dir.exists():
        found.append(f"state dir {c.dir}")
    return found


def _pod_netns(c: LocalCluster) -> list[Path]:
    state = c.load_state()
    assert state is not None and state.network is not None
    files = realnode.NodeFiles(c.dir / "nodes" / state.network.node(0).name)
    return realnode.pod_netns_paths(files)


def _wait_running(kubeconfig: Path, pod: str, timeout: float = 90) -> None:
    kubectl(
        kubeconfig,
        "wait",
        "--for=condition=Ready",
        f"pod/{pod}",
        f"--timeout={int(timeout)}s",
        timeout=timeout + 10,
    )


def test_two_clusters_with_real_nodes_then_down_removes_everything_of_one(
    real_cluster: ClusterHandle,
) -> None:
    """A second real-node cluster beside the session's: both run Pods; stopping the second removes
    all of it and leaves the session's cluster, its node and its Pod alone."""
    a, b = LocalCluster(f"rna-{uuid.uuid4().hex[:6]}"), real_cluster.cluster
    pod = f"sleeper-{uuid.uuid4().hex[:5]}"
    try:
        state_a = a.up(real_nodes=1)
        state_b = b.load_state()
        assert state_b is not None
        plan_a, plan_b = state_a.network, state_b.network
        assert plan_a is not None and plan_b is not None
        assert plan_a.bridge != plan_b.bridge and plan_a.pod_network != plan_b.pod_network
        for c in (a, b):
            kubectl(c.kubeconfig, "apply", "-f", "-", stdin=yaml.safe_dump(_shell_pod(pod)))
        for c in (a, b):
            _wait_running(c.kubeconfig, pod)
        pod_netns = _pod_netns(a)
        assert pod_netns and all(p.exists() for p in pod_netns), pod_netns

        stopped = a.down()
        assert "kubelet@real-node-0" in stopped and "containerd@real-node-0" in stopped, stopped
        assert _leftovers(a, plan_a.bridge) == []
        assert not any(p.exists() for p in pod_netns), "the Pods' network namespaces are removed"

        # The other cluster's Pod keeps running and its node stays Ready.
        time.sleep(2)
        phase = kubectl(b.kubeconfig, "get", "pod", pod, "-o", "jsonpath={.status.phase}")
        assert phase == "Running"
        ready = kubectl(
            b.kubeconfig, "get", "node", "real-node-0", "-o",
            "jsonpath={.status.conditions[?(@.type=='Ready')].status}",
        )  # fmt: skip
        assert ready == "True"
    finally:
        a.down()
        kubectl(b.kubeconfig, "delete", "pod", pod, "--wait=false", "--ignore-not-found")


def test_a_kubelet_that_cannot_start_is_named_and_nothing_is_left(monkeypatch: pytest.MonkeyPatch) -> None:
    original = realnode.kubelet_config

    def broken(*args: Any) -> dict[str, Any]:
        config = original(*args)
        config["failCgroupV1"] = True  # this machine has cgroup v1: the kubelet refuses to start
        return config

    monkeypatch.setattr(realnode, "kubelet_config", broken)
    c = LocalCluster(f"rnf-{uuid.uuid4().hex[:6]}")
    bridges_before = {p for p in Path("/sys/class/net").iterdir() if p.name.startswith("argosy")}
    try:
        with pytest.raises(ClusterError) as failure:
            c.up(real_nodes=1)
        message = str(failure.value)
        assert "kubelet@real-node-0" in message and "last log lines" in message, message
        assert "cgroup" in message.lower(), message  # the kubelet's own words, from its log tail
        assert _leftovers(c, "no-bridge-name") == []
        bridges_after = {p for p in Path("/sys/class/net").iterdir() if p.name.startswith("argosy")}
        assert bridges_after == bridges_before
    finally:
        c.down()
    assert cluster_mod.list_clusters().count(c.name) == 0
