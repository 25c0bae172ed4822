"""Build Argo CD repository Secrets and ConfigMaps as dicts (what the API would return)."""

from __future__ import annotations

import base64
import itertools
from typing import Any

_counter = itertools.count()


def repo_secret(kind: str = "repository", **data: str) -> dict[str, Any]:
    """A Secret labelled ``argocd.argoproj.io/secret-type: <kind>`` holding ``data`` (base64)."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": f"{kind}-{next(_counter)}",
            "namespace": "argocd",
            "labels": {"argocd.argoproj.io/secret-type": kind},
        },
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()},
    }


def tls_certs_cm(certs: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "argocd-tls-certs-cm"},
        "data": certs,
    }


def known_hosts_cm(lines: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "argocd-ssh-known-hosts-cm"},
        "data": {"ssh_known_hosts": lines},
    }


def application(
    sources: dict[str, Any] | list[dict[str, Any]],
    name: str = "demo",
    namespace: str = "demo",
    annotations: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An Application with ``spec.source`` (a dict) or ``spec.sources`` (a list)."""
    spec: dict[str, Any] = {
        "project": "default",
        "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
    }
    spec["sources" if isinstance(sources, list) else "source"] = sources
    meta: dict[str, Any] = {"name": name, "namespace": "argocd"}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": meta, "spec": spec}
