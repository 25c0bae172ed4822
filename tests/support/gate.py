"""Hook Jobs that wait until a test lets them run.

A gated Job's Pod selects a node label no node has (``<gate>=open``), so the scheduler leaves
it Pending and the sync waits in the hook's phase for as long as the test needs (to kill a
controller, restart an API server, race a commit); :func:`open_gate` labels a node and the
Pod runs. Used by the fault tests, which all need "a sync that is running right now".
"""

from __future__ import annotations

import uuid
from typing import Any

from support.cluster import ClusterHandle

Obj = dict[str, Any]


def new_gate() -> str:
    """A fresh node label key (no node has it yet)."""
    return f"argosy.test/gate-{uuid.uuid4().hex[:8]}"


def gated_hook(name: str, gate: str, *, policy: str = "", hook: str = "PreSync") -> Obj:
    """A ``hook`` Job named ``name`` whose Pod runs only once ``gate`` is open."""
    notes = {"argocd.argoproj.io/hook": hook}
    if policy:
        notes["argocd.argoproj.io/hook-delete-policy"] = policy
    pod = {
        "restartPolicy": "Never",
        "nodeSelector": {gate: "open"},
        "containers": [{"name": "run", "image": "busybox:1.36", "command": ["true"]}],
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "annotations": notes},
        "spec": {"backoffLimit": 0, "template": {"spec": pod}},
    }


def first_node(cluster: ClusterHandle) -> str:
    node = cluster.kubectl("get", "nodes", "-o", "jsonpath={.items[0].metadata.name}").stdout.strip()
    assert node, f"the local cluster {cluster.name} has a node"
    return node


def open_gate(cluster: ClusterHandle, gate: str) -> None:
    """Let the Pods waiting on ``gate`` run (label the first node)."""
    cluster.kubectl("label", "node", first_node(cluster), f"{gate}=open", "--overwrite")


def close_gates(cluster: ClusterHandle, *gates: str) -> None:
    """Remove the labels again (cleanup; a missing label is fine)."""
    cluster.kubectl("label", "node", first_node(cluster), *(f"{g}-" for g in gates), check=False)
