"""Install Argosy's CRDs on a test cluster, as ``argosy controller`` does at start."""

from __future__ import annotations

import time

from argosy.model.crds import crd_manifests, crd_yaml
from support.cluster import ClusterHandle

ESTABLISHED = '{.status.conditions[?(@.type=="Established")].status}'


# A schemaless custom resource kind in its own group (tests make one per group so they never share it).
WIDGET_CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {{name: widgets.{group}}}
spec:
  group: {group}
  scope: Namespaced
  names: {{plural: widgets, singular: widget, kind: Widget}}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
"""


def install_crds(cluster: ClusterHandle, timeout: float = 60.0) -> None:
    """Apply the CRDs server-side and wait until each is served."""
    cluster.kubectl("apply", "--server-side", "--force-conflicts", "-f", "-", stdin=crd_yaml())
    wait_established(cluster, [str(crd["metadata"]["name"]) for crd in crd_manifests()], timeout)


def wait_established(cluster: ClusterHandle, names: list[str], timeout: float = 60.0) -> None:
    """Wait until each CRD is served.

    Polled rather than ``kubectl wait``: right after an update of a large CRD its
    status may have no conditions yet, which ``kubectl wait`` reports as an error.
    """
    deadline = time.monotonic() + timeout
    for crd in names:
        name = f"crd/{crd}"
        while cluster.kubectl("get", name, "-o", f"jsonpath={ESTABLISHED}", check=False).stdout != "True":
            if time.monotonic() > deadline:
                raise AssertionError(f"{name} not established after {timeout:.0f}s")
            time.sleep(0.2)
