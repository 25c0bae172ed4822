"""Install Argosy's CRDs on a test cluster, as ``argosy controller`` does at start."""

from __future__ import annotations

import time

from argosy.model.crds import crd_manifests, crd_yaml
from support.cluster import ClusterHandle

ESTABLISHED = '{.status.conditions[?(@.type=="Established")].status}'


def install_crds(cluster: ClusterHandle, timeout: float = 60.0) -> None:
    """Apply the CRDs server-side and wait until each is served.

    Polled rather than ``kubectl wait``: right after an update of a large CRD its
    status may have no conditions yet, which ``kubectl wait`` reports as an error.
    """
    cluster.kubectl("apply", "--server-side", "--force-conflicts", "-f", "-", stdin=crd_yaml())
    deadline = time.monotonic() + timeout
    for crd in crd_manifests():
        name = f"crd/{crd['metadata']['name']}"
        while cluster.kubectl("get", name, "-o", f"jsonpath={ESTABLISHED}", check=False).stdout != "True":
            if time.monotonic() > deadline:
                raise AssertionError(f"{name} not established after {timeout:.0f}s")
            time.sleep(0.2)
