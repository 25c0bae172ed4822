"""API discovery: which kinds a cluster serves, under which versions and resource names.

Read from ``/api`` and ``/apis`` (every served version of every group, since a
manifest in Git may use a version other than the preferred one). The live
cache watches each group/kind once, under the group's preferred version; apply
and delete map an object's ``apiVersion``/``kind`` to its resource path here.
A group version that fails to answer (an aggregated API whose backend is down)
is skipped and reported, as kubectl and Argo CD do, instead of failing the
whole discovery. The cache re-runs discovery when a CustomResourceDefinition or
APIService changes, so a CRD created after start is watched.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from argosy.kube.clients import KubeClient
from argosy.kube.errors import KubeApiError, KubeError

CRD_GROUP_KIND = ("apiextensions.k8s.io", "CustomResourceDefinition")
APISERVICE_GROUP_KIND = ("apiregistration.k8s.io", "APIService")


@dataclass(frozen=True)
class ApiResource:
    """One served resource of one group version."""

    group: str
    version: str
    kind: str
    name: str
    namespaced: bool
    verbs: frozenset[str]

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_kind(self) -> tuple[str, str]:
        return (self.group, self.kind)

    @property
    def watchable(self) -> bool:
        return {"list", "watch"} <= self.verbs

    def path(self, namespace: str = "", name: str = "") -> str:
        """The REST path of the collection (or of one object when ``name``)."""
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{quote(namespace, safe='')}"
        base += f"/{self.name}"
        return base + (f"/{quote(name, safe='')}" if name else "")


@dataclass(frozen=True)
class ApiResources:
    """A snapshot of a cluster's discovery."""

    resources: tuple[ApiResource, ...]
    preferred_versions: dict[str, str] = field(default_factory=dict)
    errors: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        by_gvk = {(r.group, r.version, r.kind): r for r in self.resources}
        object.__setattr__(self, "_by_gvk", by_gvk)

    def get(self, group: str, kind: str) -> ApiResource | None:
        """The resource of ``group``/``kind`` under the group's preferred version (or any served one)."""
        by_gvk: dict[tuple[str, str, str], ApiResource] = self._by_gvk  # type: ignore[attr-defined]
        preferred = self.preferred_versions.get(group)
        if preferred and (found := by_gvk.get((group, preferred, kind))):
            return found
        return next((r for r in self.resources if r.group == group and r.kind == kind), None)

    def find(self, api_version: str, kind: str) -> ApiResource | None:
        """The resource for an object's ``apiVersion`` and ``kind`` (exact version only)."""
        group, _, version = api_version.rpartition("/")
        by_gvk: dict[tuple[str, str, str], ApiResource] = self._by_gvk  # type: ignore[attr-defined]
        return by_gvk.get((group, version, kind))

    def preferred(self) -> list[ApiResource]:
        """One resource per group/kind: the preferred version's."""
        seen: dict[tuple[str, str], ApiResource] = {}
        for r in self.resources:
            current = seen.get(r.group_kind)
            if current is None or (
                r.version == self.preferred_versions.get(r.group)
                and current.version != self.preferred_versions.get(r.group)
            ):
                seen[r.group_kind] = r
        return list(seen.values())

    def fingerprint(self) -> frozenset[tuple[str, str, str, str]]:
        """Changes when a kind, version or scope appears or disappears."""
        return frozenset((r.group, r.version, r.kind, str(r.namespaced)) for r in self.preferred())


def _parse_resource_list(group: str, version: str, body: Any) -> list[ApiResource]:
    out = []
    for item in (body or {}).get("resources") or ():
        name = str(item.get("name") or "")
        if not name or "/" in name:  # subresources (status, scale, exec...)
            continue
        out.append(
            ApiResource(
                group=group,
                version=version,
                kind=str(item.get("kind") or ""),
                name=name,
                namespaced=bool(item.get("namespaced")),
                verbs=frozenset(str(v) for v in item.get("verbs") or ()),
            )
        )
    return out


def discover(client: KubeClient, timeout: float = 15.0, workers: int = 8) -> ApiResources:
    """Read the cluster's discovery documents.

    Raises KubeError when the core API cannot be read (the cluster is
    unreachable); a failing group version only adds to ``errors``.
    """
    core = client.request("GET", "/api", timeout=timeout, verb="discovery")
    group_list = client.request("GET", "/apis", timeout=timeout, verb="discovery")
    targets: list[tuple[str, str, str]] = [("", v, f"/api/{v}") for v in (core or {}).get("versions") or ()]
    preferred: dict[str, str] = {"": "v1"}
    for g in (group_list or {}).get("groups") or ():
        name = str(g.get("name") or "")
        pv = (g.get("preferredVersion") or {}).get("version")
        if pv:
            preferred[name] = str(pv)
        for v in g.get("versions") or ():
            targets.append((name, str(v.get("version")), f"/apis/{name}/{v.get('version')}"))

    def fetch(target: tuple[str, str, str]) -> tuple[list[ApiResource], str]:
        group, version, path = target
        try:
            body = client.request("GET", path, timeout=timeout, verb="discovery")
        except KubeApiError as exc:
            return [], f"{group or 'core'}/{version}: {exc.message}"
        return _parse_resource_list(group, version, body), ""

    resources: list[ApiResource] = []
    errors: list[str] = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for found, error in pool.map(fetch, targets):
            resources.extend(found)
            if error:
                errors.append(error)
    return ApiResources(tuple(resources), preferred, tuple(errors))


def established_crd_kinds(crds: Iterable[dict[str, Any]]) -> set[tuple[str, str]]:
    """group/kind of each CRD the API server reports as Established (about to be served)."""
    out = set()
    for crd in crds:
        conditions = (crd.get("status") or {}).get("conditions") or ()
        if any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions):
            spec = crd.get("spec") or {}
            out.add((str(spec.get("group") or ""), str((spec.get("names") or {}).get("kind") or "")))
    return out


__all__ = ["ApiResource", "ApiResources", "KubeError", "discover", "established_crd_kinds"]
