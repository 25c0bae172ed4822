"""Which kinds Argosy ignores: ``resource.exclusions`` / ``resource.inclusions`` and per-app exclusions.

Global rules (argocd-cm, Argo CD's format) decide what the live cache watches::

    resource.exclusions: |
      - apiGroups: ["*.example.com"]
        kinds: ["*"]
        clusters: ["https://prod.example.com"]

Each field is a list of globs (``*``, ``?``, ``[a-z]``, ``{a,b}``); an absent or
empty field matches everything. A kind is excluded when an exclusion matches
it, or when inclusions are set and none matches. ``clusters`` globs match the
cluster's server URL or its name. Some kinds are always excluded (events,
metrics, leases); when argocd-cm has no ``resource.exclusions`` key, Argo CD's
shipped default list (endpoints, endpoint slices, API services, access reviews,
CSRs, ...) applies — setting the key replaces that list, as in Argo CD.

**Per-Application exclusions** (an Argosy addition) live in the Application
annotation ``argosy.io/resource-exclusions``, the same YAML list with
``apiGroups``, ``kinds`` and optional ``names``/``namespaces`` globs. Matching
objects are invisible to that app only: not compared, synced, pruned or listed
(a desired object that matches is reported as ``ExcludedResourceWarning``). The
cache still watches the kind for other apps. See docs/live-state.md.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from argosy.engine.glob import glob_match

EXCLUSIONS_KEY = "resource.exclusions"
INCLUSIONS_KEY = "resource.inclusions"
APP_EXCLUSIONS_ANNOTATION = "argosy.io/resource-exclusions"


class ExclusionsError(ValueError):
    """A rule list that cannot be read; names where it came from and what is wrong."""


def _any(patterns: tuple[str, ...], *values: str) -> bool:
    if not patterns:
        return True
    return any(glob_match(p, v) for p in patterns for v in values)


@dataclass(frozen=True)
class FilteredResource:
    """One rule: api groups x kinds x clusters (empty = any)."""

    api_groups: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    clusters: tuple[str, ...] = ()

    def matches(self, group: str, kind: str, cluster_server: str = "", cluster_name: str = "") -> bool:
        clusters = tuple(c for c in (cluster_server, cluster_name) if c) or ("",)
        return _any(self.api_groups, group) and _any(self.kinds, kind) and _any(self.clusters, *clusters)


# Always excluded: high-churn metadata nobody manages from Git (as Argo CD's coreExcludedResources).
CORE_EXCLUSIONS: tuple[FilteredResource, ...] = (
    FilteredResource(api_groups=("events.k8s.io", "metrics.k8s.io")),
    FilteredResource(api_groups=("",), kinds=("Event",)),
    FilteredResource(api_groups=("coordination.k8s.io",), kinds=("Lease",)),
)

# Argo CD's install manifests ship these in argocd-cm; used when the key is absent.
DEFAULT_EXCLUSIONS: tuple[FilteredResource, ...] = (
    FilteredResource(api_groups=("", "discovery.k8s.io"), kinds=("Endpoints", "EndpointSlice")),
    FilteredResource(api_groups=("apiregistration.k8s.io",), kinds=("APIService",)),
    FilteredResource(api_groups=("coordination.k8s.io",), kinds=("Lease",)),
    FilteredResource(
        api_groups=("authentication.k8s.io", "authorization.k8s.io"),
        kinds=(
            "SelfSubjectReview",
            "TokenReview",
            "LocalSubjectAccessReview",
            "SelfSubjectAccessReview",
            "SelfSubjectRulesReview",
            "SubjectAccessReview",
        ),
    ),
    FilteredResource(api_groups=("certificates.k8s.io",), kinds=("CertificateSigningRequest",)),
    FilteredResource(api_groups=("cert-manager.io",), kinds=("CertificateRequest",)),
    FilteredResource(
        api_groups=("cilium.io",), kinds=("CiliumIdentity", "CiliumEndpoint", "CiliumEndpointSlice")
    ),
    FilteredResource(
        api_groups=("kyverno.io", "reports.kyverno.io", "wgpolicyk8s.io"),
        kinds=(
            "PolicyReport",
            "ClusterPolicyReport",
            "EphemeralReport",
            "ClusterEphemeralReport",
            "AdmissionReport",
            "ClusterAdmissionReport",
            "BackgroundScanReport",
            "ClusterBackgroundScanReport",
            "UpdateRequest",
        ),
    ),
)


def _strings(value: Any, where: str, field: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ExclusionsError(f"{where}: '{field}' must be a list of strings, got {value!r}")
    return tuple(value)


def _load_list(text: str, where: str) -> list[dict[str, Any]]:
    try:
        loaded = yaml.safe_load(text) if text.strip() else []
    except yaml.YAMLError as exc:
        raise ExclusionsError(f"{where}: not valid YAML ({exc})") from exc
    if loaded is None:
        return []
    if not isinstance(loaded, list) or not all(isinstance(item, dict) for item in loaded):
        raise ExclusionsError(f"{where}: expected a YAML list of {{apiGroups, kinds, ...}} entries")
    return loaded


_CLUSTER_FIELDS = {"apiGroups", "kinds", "clusters"}


def parse_filtered_resources(text: str, where: str) -> tuple[FilteredResource, ...]:
    """Parse an argocd-cm rule list (``where`` names the key, for messages)."""
    out = []
    for i, item in enumerate(_load_list(text, where)):
        at = f"{where}[{i}]"
        unknown = set(item) - _CLUSTER_FIELDS
        if unknown:
            raise ExclusionsError(
                f"{at}: unknown field(s) {sorted(unknown)}; allowed: apiGroups, kinds, clusters"
            )
        out.append(
            FilteredResource(
                api_groups=_strings(item.get("apiGroups"), at, "apiGroups"),
                kinds=_strings(item.get("kinds"), at, "kinds"),
                clusters=_strings(item.get("clusters"), at, "clusters"),
            )
        )
    return tuple(out)


@dataclass(frozen=True)
class ResourceFilter:
    """Global exclusions and inclusions: decides which kinds the live cache watches."""

    exclusions: tuple[FilteredResource, ...] = DEFAULT_EXCLUSIONS
    inclusions: tuple[FilteredResource, ...] = ()
    # Answers by (group, kind, cluster): every comparison asks for each of its objects, and the
    # glob matching was ~5 % of a syncing fleet's controller CPU. Bounded by kinds x clusters.
    _memo: dict[tuple[str, str, str, str], bool] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    @classmethod
    def from_argocd_cm(cls, data: Mapping[str, str]) -> ResourceFilter:
        """From argocd-cm's ``data``; raises ExclusionsError naming the bad key.

        The same rules give the same filter (and so its memo of answers): every comparison
        asks for one, and a filter built anew each time matched its globs anew for every
        object — ~7 % of a syncing controller's CPU."""
        return _filter_for(data.get(EXCLUSIONS_KEY), data.get(INCLUSIONS_KEY, ""))

    def is_excluded(self, group: str, kind: str, cluster_server: str = "", cluster_name: str = "") -> bool:
        args = (group, kind, cluster_server, cluster_name)
        known = self._memo.get(args)
        if known is None:
            known = self._memo[args] = self._decide(*args)
        return known

    def _decide(self, group: str, kind: str, cluster_server: str, cluster_name: str) -> bool:
        args = (group, kind, cluster_server, cluster_name)
        if any(r.matches(*args) for r in CORE_EXCLUSIONS) or any(r.matches(*args) for r in self.exclusions):
            return True
        return bool(self.inclusions) and not any(r.matches(*args) for r in self.inclusions)


@functools.lru_cache(maxsize=16)
def _filter_for(exclusions: str | None, inclusions: str) -> ResourceFilter:
    """The filter of argocd-cm's two keys (``None``: no exclusions key, Argo CD's defaults)."""
    return ResourceFilter(
        DEFAULT_EXCLUSIONS
        if exclusions is None
        else parse_filtered_resources(exclusions, f"argocd-cm {EXCLUSIONS_KEY}"),
        parse_filtered_resources(inclusions, f"argocd-cm {INCLUSIONS_KEY}"),
    )


@dataclass(frozen=True)
class AppExclusion:
    """One per-app rule: api groups x kinds x names x namespaces (empty = any)."""

    api_groups: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()

    def matches(self, group: str, kind: str, namespace: str, name: str) -> bool:
        return (
            _any(self.api_groups, group)
            and _any(self.kinds, kind)
            and _any(self.names, name)
            and _any(self.namespaces, namespace)
        )


_APP_FIELDS = {"apiGroups", "kinds", "names", "namespaces"}


@dataclass(frozen=True)
class AppExclusions:
    """An Application's own exclusions (annotation ``argosy.io/resource-exclusions``)."""

    rules: tuple[AppExclusion, ...] = ()

    @classmethod
    def parse(cls, text: str, app: str = "") -> AppExclusions:
        where = (
            f"Application {app!r} annotation {APP_EXCLUSIONS_ANNOTATION}"
            if app
            else APP_EXCLUSIONS_ANNOTATION
        )
        rules = []
        for i, item in enumerate(_load_list(text, where)):
            at = f"{where}[{i}]"
            unknown = set(item) - _APP_FIELDS
            if unknown:
                hint = (
                    " (per-app rules apply to the app's own cluster; drop 'clusters')"
                    if "clusters" in unknown
                    else ""
                )
                allowed = "apiGroups, kinds, names, namespaces"
                raise ExclusionsError(f"{at}: unknown field(s) {sorted(unknown)}; allowed: {allowed}{hint}")
            rule = AppExclusion(
                api_groups=_strings(item.get("apiGroups"), at, "apiGroups"),
                kinds=_strings(item.get("kinds"), at, "kinds"),
                names=_strings(item.get("names"), at, "names"),
                namespaces=_strings(item.get("namespaces"), at, "namespaces"),
            )
            if rule == AppExclusion():
                raise ExclusionsError(f"{at}: an empty rule would exclude everything; set apiGroups or kinds")
            rules.append(rule)
        return cls(tuple(rules))

    @classmethod
    def from_application(cls, app: Mapping[str, Any]) -> AppExclusions:
        meta = app.get("metadata") or {}
        text = (meta.get("annotations") or {}).get(APP_EXCLUSIONS_ANNOTATION)
        return cls.parse(text, str(meta.get("name") or "")) if isinstance(text, str) else cls()

    def __bool__(self) -> bool:
        return bool(self.rules)

    def excludes(self, group: str, kind: str, namespace: str = "", name: str = "") -> bool:
        return any(r.matches(group, kind, namespace, name) for r in self.rules)

    def excludes_object(self, obj: Mapping[str, Any]) -> bool:
        meta = obj.get("metadata") or {}
        api_version = str(obj.get("apiVersion") or "")
        group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
        return self.excludes(
            group, str(obj.get("kind") or ""), str(meta.get("namespace") or ""), str(meta.get("name") or "")
        )

    def filter(self, objects: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """The objects this app still sees."""
        return [o for o in objects if not self.excludes_object(o)]
