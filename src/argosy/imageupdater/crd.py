"""The ``ImageUpdater`` resource (``argocd-image-updater.argoproj.io/v1alpha1``): Image Updater v1's style.

    apiVersion: argocd-image-updater.argoproj.io/v1alpha1
    kind: ImageUpdater
    metadata: {name: coffee, namespace: argocd}
    spec:
      commonUpdateSettings: {updateStrategy: semver}        # global
      writeBackConfig: {method: argocd}                      # global
      applicationRefs:
      - namePattern: "coffee-*"                             # glob; and/or
        labelSelectors: {matchLabels: {team: coffee}}
        useAnnotations: false                                # true: read the app's annotations instead
        commonUpdateSettings: {...}                          # per app ref
        writeBackConfig: {method: "git", gitConfig: {branch: main, writeBackTarget: "helmvalues:values.yaml"}}
        images:
        - alias: coffee
          imageName: qjoly/kubernetes-coffee-image:vx
          commonUpdateSettings: {allowTags: "regexp:^v"}     # per image: most specific wins
          manifestTargets:
            helm: {name: image.name, tag: image.tag}         # or spec:
            kustomize: {name: qjoly/kubernetes-coffee-image}

An ImageUpdater selects Applications of its own namespace (create one in each
namespace whose apps it should update: apps in any namespace work). An
Application with the ``image-list`` annotation keeps its annotation
configuration (the v0.x style) whatever resource selects it. The first
ImageUpdater (by name) selecting an app wins; the others report the overlap.

Status: ``lastCheckedAt``, ``applicationsMatched``, ``imagesManaged``,
``recentUpdates`` (the last 20) and a ``Ready`` condition saying what went wrong.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from datetime import UTC, datetime
from importlib import resources
from typing import TYPE_CHECKING, Any

import yaml

from argosy.engine.selectors import SelectorError, matches
from argosy.imageupdater import annotations as ann
from argosy.imageupdater.config import AppConfig, ImageConfig, ManifestTarget, UpdateSettings, WriteBack
from argosy.kube.clients import KubeClient
from argosy.kube.errors import KubeApiError

if TYPE_CHECKING:
    from argosy.imageupdater.updater import CycleResult, ImageUpdater

Obj = dict[str, Any]
GROUP, VERSION, PLURAL = "argocd-image-updater.argoproj.io", "v1alpha1", "imageupdaters"
RECENT = 20


class ResourceError(ValueError):
    """An ImageUpdater's spec is malformed; the text names the field."""


def crd_manifest() -> Obj:
    text = resources.files(__package__).joinpath("imageupdaters.crd.yaml").read_text(encoding="utf-8")
    crd: Obj = yaml.safe_load(text)
    return crd


def _str_list(value: Any, where: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(","))
    if not isinstance(value, list):
        raise ResourceError(f"{where}: expected a list of strings")
    return tuple(str(v) for v in value)


def settings_of(raw: Any, where: str) -> UpdateSettings | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise ResourceError(f"{where}: expected an object")
    force = raw.get("forceUpdate")
    if force is not None and not isinstance(force, bool):
        raise ResourceError(f"{where}.forceUpdate: expected true or false")

    def text(key: str) -> str | None:
        value = raw.get(key)
        return str(value) if value not in (None, "") else None

    return UpdateSettings(
        update_strategy=text("updateStrategy"),
        force_update=force,
        allow_tags=text("allowTags"),
        ignore_tags=_str_list(raw.get("ignoreTags"), f"{where}.ignoreTags"),
        pull_secret=text("pullSecret"),
        platforms=_str_list(raw.get("platforms"), f"{where}.platforms"),
    )


def write_back_of(raw: Any, where: str) -> WriteBack | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise ResourceError(f"{where}: expected an object")
    git = raw.get("gitConfig") or {}
    if not isinstance(git, Mapping):
        raise ResourceError(f"{where}.gitConfig: expected an object")
    return WriteBack(
        method=raw.get("method") or None,
        target=git.get("writeBackTarget") or None,
        branch=git.get("branch") or None,
        repository=git.get("repository") or None,
    )


def _target(raw: Any, where: str) -> ManifestTarget | None:
    if not raw:
        return None
    helm, kustomize = raw.get("helm") or {}, raw.get("kustomize") or {}
    if helm and kustomize:
        raise ResourceError(f"{where}: set helm or kustomize, not both")
    return ManifestTarget(
        helm_name=helm.get("name"),
        helm_tag=helm.get("tag"),
        helm_spec=helm.get("spec"),
        kustomize_name=kustomize.get("name"),
    )


def _ref_matches(ref: Mapping[str, Any], app: Obj, where: str) -> bool:
    meta = app.get("metadata") or {}
    pattern = ref.get("namePattern")
    if pattern and not fnmatch.fnmatchcase(str(meta.get("name") or ""), str(pattern)):
        return False
    try:
        return matches(ref.get("labelSelectors"), meta.get("labels"))
    except SelectorError as exc:
        raise ResourceError(f"{where}.labelSelectors: {exc}") from None


def configs_for(resource: Obj, apps: list[Obj]) -> dict[str, AppConfig]:
    """``{namespace/name: AppConfig}`` for the apps ``resource`` selects; raises :class:`ResourceError`."""
    meta = resource.get("metadata") or {}
    namespace, name = str(meta.get("namespace") or ""), str(meta.get("name") or "")
    spec = resource.get("spec") or {}
    global_settings = settings_of(spec.get("commonUpdateSettings"), "spec.commonUpdateSettings")
    global_wb = write_back_of(spec.get("writeBackConfig"), "spec.writeBackConfig")
    refs = spec.get("applicationRefs")
    if not isinstance(refs, list) or not refs:
        raise ResourceError("spec.applicationRefs: list at least one application reference")
    out: dict[str, AppConfig] = {}
    for i, ref in enumerate(refs):
        where = f"spec.applicationRefs[{i}]"
        if not isinstance(ref, Mapping) or not (ref.get("namePattern") or ref.get("labelSelectors")):
            raise ResourceError(f"{where}: set namePattern and/or labelSelectors")
        settings = settings_of(ref.get("commonUpdateSettings"), f"{where}.commonUpdateSettings")
        settings = settings.over(global_settings) if settings else global_settings
        wb = write_back_of(ref.get("writeBackConfig"), f"{where}.writeBackConfig")
        wb = wb.over(global_wb) if wb else global_wb
        images = []
        for j, image in enumerate(ref.get("images") or []):
            iwhere = f"{where}.images[{j}]"
            if not isinstance(image, Mapping) or not image.get("imageName"):
                raise ResourceError(f"{iwhere}.imageName is required")
            images.append(
                ImageConfig(
                    alias=str(image.get("alias") or ""),
                    image=str(image["imageName"]),
                    settings=settings_of(image.get("commonUpdateSettings"), f"{iwhere}.commonUpdateSettings"),
                    target=_target(image.get("manifestTargets"), f"{iwhere}.manifestTargets"),
                )
            )
        use_annotations = bool(ref.get("useAnnotations"))
        if not images and not use_annotations:
            raise ResourceError(f"{where}: list images, or set useAnnotations: true")
        for app in apps:
            app_meta = app.get("metadata") or {}
            key = f"{app_meta.get('namespace', '')}/{app_meta.get('name', '')}"
            if app_meta.get("namespace") != namespace or key in out or not _ref_matches(ref, app, where):
                continue
            if use_annotations:
                annotations = app_meta.get("annotations") or {}
                if not ann.has_image_list(annotations):
                    continue
                base = ann.app_config(annotations, key)
                out[key] = AppConfig(
                    base.images,
                    base.settings.over(settings) if base.settings else settings,
                    base.write_back.over(wb) if base.write_back else wb,
                    source=f"ImageUpdater {name}",
                )
            else:
                out[key] = AppConfig(tuple(images), settings, wb, source=f"ImageUpdater {name}")
    return out


class ImageUpdaterResources:
    """Reads the ImageUpdater resources for a cycle and writes their status after it."""

    def __init__(self, client: KubeClient, namespace: str) -> None:
        self.client = client
        self.namespace = namespace
        self._last: list[tuple[Obj, dict[str, AppConfig], str]] = []

    def attach(self, updater: ImageUpdater) -> None:
        updater.config_source = self.configs
        updater.after_cycle = self.write_status

    def _list(self) -> list[Obj]:
        try:
            found = self.client.request("GET", f"/apis/{GROUP}/{VERSION}/{PLURAL}", kind="ImageUpdater")
        except KubeApiError as exc:
            if exc.status in (403, 404):  # CRD not installed, or not allowed cluster-wide: no resources
                return []
            raise
        return sorted(
            (found or {}).get("items") or [],
            key=lambda r: (
                (r.get("metadata") or {}).get("namespace", ""),
                (r.get("metadata") or {}).get("name", ""),
            ),
        )

    def configs(self, apps: list[Obj]) -> dict[str, AppConfig]:
        self._last = []
        out: dict[str, AppConfig] = {}
        for resource in self._list():
            try:
                found = configs_for(resource, apps)
                error = ""
            except (ResourceError, ann.AnnotationError) as exc:
                found, error = {}, str(exc)
            taken = sorted(k for k in found if k in out)
            if taken and not error:
                error = f"already selected by another ImageUpdater: {', '.join(taken)}"
            mine = {k: v for k, v in found.items() if k not in out}
            out.update(mine)
            self._last.append((resource, mine, error))
        return out

    def write_status(self, result: CycleResult) -> None:
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        by_app = {o.app: o for o in result.outcomes}
        for resource, configs, error in self._last:
            meta = resource.get("metadata") or {}
            status = dict(resource.get("status") or {})
            recent = list(status.get("recentUpdates") or [])
            failures: list[str] = []
            for key in sorted(configs):
                outcome = by_app.get(key)
                if outcome is None:
                    continue
                failures += [f"{key}: {e}" for e in outcome.errors]
                for line in outcome.updated:
                    image, _, change = line.partition(": ")
                    recent.append(
                        {
                            "applicationName": key,
                            "image": image,
                            "newVersion": change.rsplit(" -> ", 1)[-1],
                            "updatedAt": now,
                        }
                    )
            problem = error or "; ".join(failures)
            condition = {
                "type": "Ready",
                "status": "False" if problem else "True",
                "reason": "Error" if problem else "Checked",
                "message": (problem or f"{len(configs)} applications checked")[:1024],
                "lastTransitionTime": now,
            }
            status.update(
                lastCheckedAt=now,
                applicationsMatched=len(configs),
                imagesManaged=sum(len(c.images) for c in configs.values()),
                recentUpdates=recent[-RECENT:],
                conditions=[condition],
            )
            where = f"namespaces/{meta.get('namespace')}/{PLURAL}/{meta.get('name')}"
            path = f"/apis/{GROUP}/{VERSION}/{where}/status"
            try:
                self.client.request(
                    "PATCH",
                    path,
                    body={"status": status},
                    content_type="application/merge-patch+json",
                    kind="ImageUpdater",
                )
            except KubeApiError:
                continue  # deleted meanwhile: nothing to report on
