"""The annotation style (argocd-image-updater v0.x), read exactly as upstream reads it.

On the Application, under the prefix ``argocd-image-updater.argoproj.io/``:

* ``image-list``: ``[alias=]image[:constraint]``, comma separated;
* application-wide ``update-strategy``, ``force-update``, ``allow-tags``,
  ``ignore-tags`` (comma separated globs), ``pull-secret``;
* per alias the same keys as ``<alias>.<key>`` plus ``<alias>.platforms``,
  ``<alias>.helm.image-name``/``image-tag``/``image-spec`` and
  ``<alias>.kustomize.image-name`` (Helm and Kustomize targets exclude each other);
* ``write-back-method``, ``write-back-target``, ``git-branch``, ``git-repository``.

Values are kept as written (``update-strategy: latest`` stays ``latest`` here;
the strategy parser maps the alias). A malformed value is an error naming the key.
"""

from __future__ import annotations

from collections.abc import Mapping

from argosy.imageupdater.config import AppConfig, ImageConfig, ManifestTarget, UpdateSettings, WriteBack
from argosy.imageupdater.reference import split_alias

PREFIX = "argocd-image-updater.argoproj.io"
IMAGE_LIST = f"{PREFIX}/image-list"

_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}


class AnnotationError(ValueError):
    """An image-updater annotation is missing or malformed; the text names the annotation."""


def has_image_list(annotations: Mapping[str, str] | None) -> bool:
    return IMAGE_LIST in (annotations or {})


def parse_image_list(annotations: Mapping[str, str], where: str = "") -> list[tuple[str, str]]:
    """``[(alias, image)]`` from ``image-list``; empty entries are skipped."""
    suffix = f" on app {where}" if where else ""
    if IMAGE_LIST not in annotations:
        raise AnnotationError(f"{IMAGE_LIST} annotation not found{suffix}")
    out: list[tuple[str, str]] = []
    for entry in annotations[IMAGE_LIST].split(","):
        entry = entry.strip()
        if not entry:
            continue
        alias, image = split_alias(entry)
        alias, image = alias.strip(), image.strip()
        if not image:
            raise AnnotationError(f"empty image name in {IMAGE_LIST} annotation{suffix}")
        out.append((alias, image))
    if not out:
        raise AnnotationError(f"{IMAGE_LIST} annotation is empty{suffix}")
    return out


def _key(alias: str, name: str) -> str:
    return f"{PREFIX}/{alias}.{name}" if alias else f"{PREFIX}/{name}"


def _text(annotations: Mapping[str, str], key: str) -> str | None:
    value = annotations.get(key)
    if value is None:
        return None
    return value.strip() or None


def update_settings(annotations: Mapping[str, str], alias: str = "") -> UpdateSettings | None:
    """Application-wide (``alias=""``) or per-alias settings; None when none is set."""
    found: dict[str, object] = {}
    if (strategy := _text(annotations, _key(alias, "update-strategy"))) is not None:
        found["update_strategy"] = strategy
    force_key = _key(alias, "force-update")
    if force_key in annotations:
        raw = annotations[force_key].strip()
        if raw not in _TRUE | _FALSE:
            raise AnnotationError(
                f"error parsing force update settings: {force_key}: {raw!r} is not a boolean (true/false)"
            )
        found["force_update"] = raw in _TRUE
    if (allow := _text(annotations, _key(alias, "allow-tags"))) is not None:
        found["allow_tags"] = allow
    ignore_key = _key(alias, "ignore-tags")
    if ignore_key in annotations:
        found["ignore_tags"] = tuple(t.strip() for t in annotations[ignore_key].split(","))
    if (secret := _text(annotations, _key(alias, "pull-secret"))) is not None:
        found["pull_secret"] = secret
    platforms_key = _key(alias, "platforms")
    if alias and platforms_key in annotations:
        platforms = tuple(p.strip() for p in annotations[platforms_key].split(",") if p.strip())
        if platforms:
            found["platforms"] = platforms
    return UpdateSettings(**found) if found else None  # type: ignore[arg-type]


def manifest_target(annotations: Mapping[str, str], alias: str) -> ManifestTarget | None:
    if not alias:
        return None
    target = ManifestTarget(
        helm_name=_text(annotations, _key(alias, "helm.image-name")),
        helm_tag=_text(annotations, _key(alias, "helm.image-tag")),
        helm_spec=_text(annotations, _key(alias, "helm.image-spec")),
        kustomize_name=_text(annotations, _key(alias, "kustomize.image-name")),
    )
    if target == ManifestTarget():
        return None
    if target.is_helm and target.kustomize_name:
        raise AnnotationError(f"both helm and kustomize manifest targets configured for alias {alias!r}")
    return target


def write_back(annotations: Mapping[str, str]) -> WriteBack | None:
    found = {
        "method": _text(annotations, f"{PREFIX}/write-back-method"),
        "target": _text(annotations, f"{PREFIX}/write-back-target"),
        "branch": _text(annotations, f"{PREFIX}/git-branch"),
        "repository": _text(annotations, f"{PREFIX}/git-repository"),
    }
    return WriteBack(**found) if any(v is not None for v in found.values()) else None


def app_config(annotations: Mapping[str, str], where: str = "") -> AppConfig:
    """The whole annotation configuration of one Application."""
    images = []
    for alias, image in parse_image_list(annotations, where):
        try:
            settings = update_settings(annotations, alias) if alias else None
            target = manifest_target(annotations, alias)
        except AnnotationError as exc:
            raise AnnotationError(f"alias {alias!r}: {exc}") from None
        images.append(ImageConfig(alias, image, settings, target))
    return AppConfig(tuple(images), update_settings(annotations), write_back(annotations))
