"""What must exist before the controller can work: the CRDs, the namespace, the default project.

Argo CD ships these as install manifests; Argosy's controller ensures them at
start (idempotently, with server-side apply), so ``argosy controller`` on an
empty cluster just works and an existing Argo CD installation's objects are
left as they are (the default project is only created when missing).

Installed from the bundles (``manifests/*.yaml``, the Helm chart), components
may lack the rights to do this: the bundle already created the CRDs (carrying
the same manifest-hash annotation, :func:`bundled_crds`), and a namespace-scoped
install grants no cluster-wide access at all. A forbidden answer therefore
skips that step with a log line instead of stopping the component.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import time
from typing import Any

from argosy.engine.project import default_project
from argosy.imageupdater.crd import crd_manifest as imageupdater_crd
from argosy.kube.clients import KubeClient
from argosy.kube.errors import KubeApiError
from argosy.model import crd_manifests

FIELD_MANAGER = "argosy-controller"
MANIFEST_HASH_ANNOTATION = "argosy.argoproj.io/manifest-hash"
FORBIDDEN = 403
log = logging.getLogger(__name__)


def bundled_crds() -> list[dict[str, Any]]:
    """Every CRD Argosy uses (Argo CD's three and the image updater's ``ImageUpdater``)."""
    return [*crd_manifests(), imageupdater_crd()]


def with_manifest_hash(manifest: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``manifest`` annotated with its digest: a live CRD carrying the same digest is
    up to date, so neither a restart nor a bundle-installed CRD costs a re-apply."""
    digest = hashlib.sha256(json.dumps(manifest, sort_keys=True).encode()).hexdigest()[:16]
    crd = copy.deepcopy(manifest)
    crd["metadata"].setdefault("annotations", {})[MANIFEST_HASH_ANNOTATION] = digest
    return crd


def _applied_hash(client: KubeClient, name: str) -> str:
    try:
        live = client.request("GET", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}")
    except KubeApiError as exc:
        if exc.not_found:
            return ""
        raise
    annotations = ((live or {}).get("metadata") or {}).get("annotations") or {}
    return str(annotations.get(MANIFEST_HASH_ANNOTATION) or "")


def ensure_crds(client: KubeClient, timeout: float = 60.0, crds: list[dict[str, Any]] | None = None) -> None:
    """Apply the CRDs (:func:`bundled_crds` by default) and wait until they are served; skipped
    when this identity may not read or write CRDs (the install bundle created them)."""
    try:
        _apply_crds(client, timeout, bundled_crds() if crds is None else crds)
    except KubeApiError as exc:
        if exc.status != FORBIDDEN:
            raise
        log.info(
            "not allowed to apply CustomResourceDefinitions (%s): using those the install bundle "
            "created (kubectl apply --server-side -f manifests/install.yaml, or the Helm chart)",
            exc,
        )


def _apply_crds(client: KubeClient, timeout: float, crds: list[dict[str, Any]]) -> None:
    names = []
    for manifest in crds:
        name = manifest["metadata"]["name"]
        names.append(name)
        crd = with_manifest_hash(manifest)
        digest = crd["metadata"]["annotations"][MANIFEST_HASH_ANNOTATION]
        if _applied_hash(client, name) == digest:
            continue  # already this manifest: a no-op apply of the big ApplicationSet schema costs seconds
        client.request(
            "PATCH",
            f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}",
            query={"fieldManager": FIELD_MANAGER, "force": "true"},
            body=crd,
            content_type="application/apply-patch+yaml",
            kind="CustomResourceDefinition",
        )
    deadline = time.monotonic() + timeout
    for name in names:
        while True:
            crd = client.request("GET", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}")
            conds = (crd.get("status") or {}).get("conditions") or []
            if any(c.get("type") == "Established" and c.get("status") == "True" for c in conds):
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"CustomResourceDefinition {name} not established after {timeout:.0f}s")
            time.sleep(0.2)


def ensure_namespace(client: KubeClient, namespace: str) -> None:
    try:
        client.request("GET", f"/api/v1/namespaces/{namespace}")
    except KubeApiError as exc:
        if exc.status == FORBIDDEN:
            return  # a namespace-scoped install: it runs in this namespace, which therefore exists
        if not exc.not_found:
            raise
        body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}
        try:
            client.request("POST", "/api/v1/namespaces", body=body)
        except KubeApiError as again:
            if not again.conflict:
                raise


def ensure_default_project(client: KubeClient, namespace: str) -> None:
    """Create the permissive ``default`` AppProject when missing (as Argo CD does)."""
    try:
        client.request(
            "POST",
            f"/apis/argoproj.io/v1alpha1/namespaces/{namespace}/appprojects",
            body=default_project(namespace),
        )
    except KubeApiError as exc:
        if exc.status == FORBIDDEN:
            log.info("not allowed to create the default AppProject in %s: left to the controller", namespace)
        elif not exc.conflict:
            raise


def bootstrap(client: KubeClient, namespace: str) -> None:
    ensure_crds(client)
    ensure_namespace(client, namespace)
    ensure_default_project(client, namespace)
