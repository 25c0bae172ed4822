"""Compare what Git wants with what the cluster has, for one Application.

This is where the pure engine pieces meet: tracking metadata is set on the
rendered objects, each is paired with its live counterpart, diffed (server-side
when a dry-run result is available, structurally otherwise) and assessed for
health. The result is everything ``status`` shows: per-resource sync and
health, the app's sync status and health, the summary and the conditions.

Nothing here talks to a cluster: the caller passes the live objects (from the
watch cache) and any server-side dry-run results, so a comparison is cheap and
testable. A failed render is *not* compared at all (the caller keeps the
previous status and sets a ComparisonError), so nothing is ever judged
"extraneous" because Git could not be read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from argosy.appstate.settings import ControllerSettings
from argosy.engine.diff import (
    DiffConfig,
    DiffResult,
    diff,
    hash_secret_values,
    ignores_extraneous,
    server_side_diff,
    use_server_side_diff,
)
from argosy.engine.health import HealthResult, HealthStatusCode, ResourceHealth, app_health, assess
from argosy.engine.sync import ResourceKey, read_hook
from argosy.engine.tracking import instance_name, normalize_for_diff, set_tracking, shared_resource

Obj = dict[str, Any]
# (group, kind) -> True namespaced, False cluster-scoped, None unknown (e.g. CRD not installed yet)
NamespacedFn = Callable[[str, str], bool | None]
# (desired, live) -> the object a server-side-apply dry run of desired predicts, or None
PredictFn = Callable[[Obj, Obj], Obj | None]

SYNCED, OUT_OF_SYNC, UNKNOWN = "Synced", "OutOfSync", "Unknown"


@dataclass
class ResourceComparison:
    """One resource of the app: what Git wants, what runs, and how they differ."""

    key: ResourceKey
    version: str
    desired: Obj | None
    live: Obj | None
    status: str
    health: HealthResult | None
    hook: bool = False
    requires_pruning: bool = False
    diff: DiffResult | None = None

    def to_status(self) -> dict[str, Any]:
        """The ``status.resources[]`` entry, in Argo CD's layout."""
        entry: dict[str, Any] = {
            "group": self.key.group,
            "version": self.version,
            "kind": self.key.kind,
            "namespace": self.key.namespace,
            "name": self.key.name,
            "status": self.status,
        }
        if not self.key.group:
            del entry["group"]
        if not self.key.namespace:
            del entry["namespace"]
        if self.health is not None:
            health: dict[str, Any] = {"status": str(self.health.status)}
            if self.health.message:
                health["message"] = self.health.message
            entry["health"] = health
        if self.hook:
            entry["hook"] = True
        if self.requires_pruning:
            entry["requiresPruning"] = True
        if self.diff is not None and self.diff.modified:
            # Paths only (never values): status is readable by anyone who can get the app,
            # while values (Secrets) are served redacted by the API's managed-resources.
            entry["diff"] = sorted({c.path or "/" for c in self.diff.changes})
        return entry


@dataclass
class Comparison:
    """The outcome of comparing one app; :meth:`status_patch` is what the status writer writes."""

    resources: list[ResourceComparison] = field(default_factory=list)
    sync_status: str = UNKNOWN
    health: HealthStatusCode = HealthStatusCode.UNKNOWN
    health_message: str = ""
    conditions: list[dict[str, str]] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    external_urls: list[str] = field(default_factory=list)

    def out_of_sync(self) -> list[ResourceComparison]:
        return [r for r in self.resources if r.status == OUT_OF_SYNC and not r.hook]

    def desired_objects(self) -> list[Obj]:
        return [r.desired for r in self.resources if r.desired is not None]

    def prunable(self) -> list[Obj]:
        return [r.live for r in self.resources if r.requires_pruning and r.live is not None]


def api_group(obj: Mapping[str, Any]) -> str:
    api_version = str(obj.get("apiVersion") or "")
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


def api_version_only(obj: Mapping[str, Any]) -> str:
    return str(obj.get("apiVersion") or "").rsplit("/", 1)[-1]


def _with_namespace(obj: Obj, destination_namespace: str, namespaced: bool | None) -> Obj:
    """Desired objects without a namespace land in the destination namespace, as in Argo CD."""
    meta = obj.get("metadata") or {}
    if namespaced is False:
        if meta.get("namespace"):
            obj = dict(obj, metadata={k: v for k, v in meta.items() if k != "namespace"})
        return obj
    if not meta.get("namespace") and destination_namespace:
        obj = dict(obj, metadata=dict(meta, namespace=destination_namespace))
    return obj


def _images(obj: Mapping[str, Any]) -> list[str]:
    spec = obj.get("spec") or {}
    pod = spec.get("template", {}).get("spec", {}) if obj.get("kind") != "Pod" else spec
    if obj.get("kind") == "CronJob":
        pod = spec.get("jobTemplate", {}).get("spec", {}).get("template", {}).get("spec", {})
    images = []
    for field_name in ("initContainers", "containers"):
        for container in pod.get(field_name) or []:
            if isinstance(container, dict) and container.get("image"):
                images.append(str(container["image"]))
    return images


def _external_urls(obj: Mapping[str, Any]) -> list[str]:
    urls: list[str] = []
    meta = obj.get("metadata") or {}
    for key, value in (meta.get("annotations") or {}).items():
        if key.startswith("link.argocd.argoproj.io/"):
            urls.append(str(value))
    if obj.get("kind") == "Ingress":
        tls_hosts = {h for t in (obj.get("spec") or {}).get("tls") or [] for h in t.get("hosts") or []}
        for rule in (obj.get("spec") or {}).get("rules") or []:
            host = rule.get("host")
            if host:
                scheme = "https" if host in tls_hosts else "http"
                urls.append(f"{scheme}://{host}/")
    return urls


def _inferred_child(key: ResourceKey, desired: Mapping[ResourceKey, int]) -> bool:
    """Objects a controller derives from ours without an owner reference.

    The endpoints controller copies a Service's labels (tracking label
    included) onto its Endpoints; like gitops-engine's inferred parents, they
    belong to the Service and are never pruned on their own.
    """
    if key.group == "" and key.kind == "Endpoints":
        return ResourceKey("", "Service", key.namespace, key.name) in desired
    return False


def _values_hashed(live: Mapping[str, Any]) -> bool:
    """The live cache keeps Secret values as digests; desired Secrets must be hashed alike."""
    if live.get("kind") != "Secret":
        return False
    values = (live.get("data") or {}).values()
    return bool(values) and all(isinstance(v, str) and v.startswith("sha256:") for v in values)


def _is_hook(obj: Mapping[str, Any]) -> bool:
    """Hooks run during syncs and are never compared; ``Skip`` alone is not a hook."""
    spec, _problems = read_hook(obj)
    return spec is not None and not spec.skip


def compare_app(
    app: Obj,
    desired: Sequence[Obj],
    live_tracked: Mapping[ResourceKey, Obj],
    live_lookup: Callable[[ResourceKey], Obj | None],
    settings: ControllerSettings,
    is_namespaced: NamespacedFn,
    predict: PredictFn | None = None,
    diff_config: DiffConfig | None = None,
    server_side_default: bool = True,
) -> Comparison:
    """Compare rendered ``desired`` objects with live state.

    ``live_tracked`` are live objects whose tracking metadata names this app;
    ``live_lookup`` finds a live object at a desired key even when another app
    (or nobody) tracks it; ``predict(desired, live)`` returns the server-side
    dry-run result of applying ``desired`` (None: unavailable, diff structurally).
    """
    meta = app.get("metadata") or {}
    spec = app.get("spec") or {}
    dest_ns = str((spec.get("destination") or {}).get("namespace") or "")
    instance = instance_name(
        str(meta.get("name") or ""), str(meta.get("namespace") or ""), settings.namespace
    )
    config = diff_config or settings.diff_config(app)
    result = Comparison()
    seen: dict[ResourceKey, int] = {}
    repeated: list[str] = []

    for raw in desired:
        namespaced = is_namespaced(api_group(raw), str(raw.get("kind") or ""))
        obj = _with_namespace(raw, dest_ns, namespaced)
        is_hook = _is_hook(obj)
        tracked = set_tracking(obj, instance, settings.tracking, dest_ns)
        key = ResourceKey.of(tracked)
        if key in seen:
            repeated.append(str(key))
            continue
        seen[key] = len(result.resources)
        live = live_tracked.get(key) or live_lookup(key)
        if is_hook:
            # Hooks are not compared: they run during syncs and do not make an app OutOfSync.
            health = assess(live, settings.overrides) if live is not None else None
            result.resources.append(
                ResourceComparison(key, api_version_only(obj), tracked, live, SYNCED, health, hook=True)
            )
            continue
        shared = shared_resource(live, instance, settings.tracking, tracked)
        if shared is not None:
            result.conditions.append({"type": "SharedResourceWarning", "message": shared.message})
        if live is None:
            res = ResourceComparison(
                key,
                api_version_only(obj),
                tracked,
                None,
                OUT_OF_SYNC,
                HealthResult(HealthStatusCode.MISSING, ""),
            )
        else:
            comparable_live = normalize_for_diff(tracked, live, settings.tracking)
            hashed = _values_hashed(live)
            target = hash_secret_values(tracked) if hashed else tracked
            predicted = None
            if predict is not None and use_server_side_diff(tracked, live, server_side_default):
                predicted = predict(tracked, live)
            if predicted is not None:
                predicted = hash_secret_values(predicted) if hashed else predicted
                d = server_side_diff(target, comparable_live, predicted, config)
            else:
                d = diff(target, comparable_live, config)
            res = ResourceComparison(
                key,
                api_version_only(obj),
                tracked,
                live,
                OUT_OF_SYNC if d.modified else SYNCED,
                assess(live, settings.overrides),
                diff=d,
            )
        result.resources.append(res)
        result.images.extend(_images(tracked))
        result.external_urls.extend(_external_urls(live or tracked))

    for key, live in live_tracked.items():
        if key in seen:
            continue
        owner_meta = live.get("metadata") or {}
        if owner_meta.get("ownerReferences"):
            continue  # created by a controller from an object we manage (ReplicaSet, Pod...)
        if _inferred_child(key, seen):
            continue
        if _is_hook(live):
            result.resources.append(
                ResourceComparison(
                    key,
                    api_version_only(live),
                    None,
                    live,
                    SYNCED,
                    assess(live, settings.overrides),
                    hook=True,
                )
            )
            continue
        status = SYNCED if ignores_extraneous(live) else OUT_OF_SYNC
        result.resources.append(
            ResourceComparison(
                key,
                api_version_only(live),
                None,
                live,
                status,
                assess(live, settings.overrides),
                requires_pruning=True,
            )
        )

    if repeated:
        result.conditions.append(
            {
                "type": "RepeatedResourceWarning",
                "message": "Resource appears more than once in the rendered manifests: "
                + ", ".join(repeated),
            }
        )
    result.sync_status = OUT_OF_SYNC if result.out_of_sync() else SYNCED
    counted = [
        ResourceHealth(r.key.group, r.key.kind, r.health)
        for r in result.resources
        if not r.hook and not (r.requires_pruning and r.status == SYNCED)
    ]
    result.health = app_health(counted, settings.overrides)
    result.resources.sort(key=lambda r: (r.key.group, r.key.kind, r.key.namespace, r.key.name))
    result.images = sorted(set(result.images))
    result.external_urls = sorted(set(result.external_urls))
    return result
