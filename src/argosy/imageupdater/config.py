"""What an Application asks of the image updater, whichever style said it.

Annotations on the Application and the ``ImageUpdater`` resource both become an
:class:`AppConfig`: the images (alias, reference with its constraint, the
manifest target that says which Helm parameters or Kustomize image to set),
update settings and write-back settings at app level and per image. The most
specific setting wins: image over application over global (:meth:`UpdateSettings.over`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

#: Helm parameters set when the image names none (Argo CD Image Updater's defaults).
DEFAULT_HELM_NAME = "image.name"
DEFAULT_HELM_TAG = "image.tag"


@dataclass(frozen=True)
class UpdateSettings:
    """``commonUpdateSettings``; None = not set at this level."""

    update_strategy: str | None = None
    force_update: bool | None = None
    allow_tags: str | None = None
    ignore_tags: tuple[str, ...] | None = None
    pull_secret: str | None = None
    platforms: tuple[str, ...] | None = None

    def over(self, base: UpdateSettings | None) -> UpdateSettings:
        """These settings, with what they leave unset taken from ``base``."""
        if base is None:
            return self
        given = {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}
        return replace(base, **given)

    def as_camel(self) -> dict[str, Any]:
        """The CR's field names (``updateStrategy``...), for messages and tests."""
        return {
            "updateStrategy": self.update_strategy,
            "forceUpdate": self.force_update,
            "allowTags": self.allow_tags,
            "ignoreTags": list(self.ignore_tags) if self.ignore_tags is not None else None,
            "pullSecret": self.pull_secret,
            "platforms": list(self.platforms) if self.platforms is not None else None,
        }


@dataclass(frozen=True)
class ManifestTarget:
    """Where the tag goes: Helm parameter names, or the Kustomize image name to override."""

    helm_name: str | None = None
    helm_tag: str | None = None
    helm_spec: str | None = None
    kustomize_name: str | None = None

    @property
    def is_helm(self) -> bool:
        return bool(self.helm_name or self.helm_tag or self.helm_spec)


@dataclass(frozen=True)
class WriteBack:
    """``writeBackConfig``: ``argocd`` (the default) or ``git[:<secret spec>]`` and its Git settings."""

    method: str | None = None
    target: str | None = None
    branch: str | None = None
    repository: str | None = None

    def over(self, base: WriteBack | None) -> WriteBack:
        if base is None:
            return self
        given = {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}
        return replace(base, **given)


@dataclass(frozen=True)
class ImageConfig:
    alias: str
    image: str
    settings: UpdateSettings | None = None
    target: ManifestTarget | None = None


@dataclass(frozen=True)
class AppConfig:
    """Everything one Application asks for; ``source`` says which style ("annotations" or the CR's name)."""

    images: tuple[ImageConfig, ...]
    settings: UpdateSettings | None = None
    write_back: WriteBack | None = None
    source: str = "annotations"

    def settings_for(self, image: ImageConfig) -> UpdateSettings:
        base = self.settings or UpdateSettings()
        return image.settings.over(base) if image.settings else base
