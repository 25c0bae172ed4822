"""One Application in one cycle: which of its images have a newer tag, and the changes to write.

Pure except for the scanner it asks: the deployed tag comes from
``status.summary.images`` (what the controller saw running); an image that is
not deployed is skipped unless ``force-update`` is set (then its tag is
unknown and always written). A failure of one image (registry, settings,
credentials) is reported and the other images still go ahead; nothing is
written for the failed one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from argosy.imageupdater.client import RegistryError
from argosy.imageupdater.config import AppConfig
from argosy.imageupdater.credentials import CredentialsError
from argosy.imageupdater.overrides import Change
from argosy.imageupdater.reference import ImageRef, parse_image, same_image
from argosy.imageupdater.scan import Scanner
from argosy.imageupdater.strategy import SelectionError, Strategy, parse_strategy

Obj = dict[str, Any]


@dataclass
class Plan:
    """The outcome of checking one Application's images."""

    watched: int = 0
    changes: list[tuple[Change, str]] = field(default_factory=list)  # (change, image name in manifests)
    errors: list[str] = field(default_factory=list)
    error_reasons: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def deployed(app: Obj, ref: ImageRef) -> ImageRef | None:
    """The running image of the same repository as ``ref``, from ``status.summary.images``."""
    for text in ((app.get("status") or {}).get("summary") or {}).get("images") or []:
        candidate = parse_image(str(text))
        if same_image(candidate.full_name, ref.full_name):
            return candidate
    return None


def check_pull_secret(reference: str | None, allowed: tuple[str, ...]) -> None:
    """A pull secret named by an Application (or ImageUpdater) must live in the control-plane
    namespace or the Application's own: otherwise whoever may edit an Application could send any
    Secret of the cluster, as basic auth, to a registry of their choosing."""
    kind, _, rest = (reference or "").partition(":")
    if kind not in ("secret", "pullsecret"):
        return
    namespace = rest.split("/", 1)[0]
    if namespace not in allowed:
        raise CredentialsError(
            f"pull-secret {reference!r}: the Secret must be in namespace {' or '.join(allowed)} "
            "(the control plane's or the Application's); registry-wide credentials go in registries.conf"
        )


def plan(app: Obj, config: AppConfig, scanner: Scanner, control_namespace: str = "") -> Plan:
    out = Plan(watched=len(config.images))
    app_namespace = str((app.get("metadata") or {}).get("namespace") or "")
    allowed = tuple(dict.fromkeys(n for n in (control_namespace, app_namespace) if n))
    for image in config.images:
        label = image.alias or image.image
        ref = parse_image(image.image)
        settings = config.settings_for(image)
        running = deployed(app, ref)
        if running is None and not settings.force_update:
            out.skipped.append(
                f"{label}: not deployed by the application (set force-update to write it anyway)"
            )
            continue
        try:
            check_pull_secret(settings.pull_secret, allowed)
            digest_mode = parse_strategy(settings.update_strategy or "") is Strategy.DIGEST
            found = scanner.newest(ref, settings)
        except RegistryError as exc:
            out.errors.append(f"{label}: {exc}")
            out.error_reasons.append(exc.reason)
            continue
        except (SelectionError, CredentialsError) as exc:
            out.errors.append(f"{label}: {exc}")
            out.error_reasons.append("configuration")
            continue
        if found.tag is None:
            out.skipped.append(f"{label}: no tag of {ref.full_name} qualifies")
            continue
        new = ref.with_tag(found.tag.name, found.tag.digest if digest_mode else "")
        if running is not None and (
            (running.digest == new.digest) if digest_mode else (running.tag == new.tag)
        ):
            continue
        original = running.full_name if running is not None else ref.full_name
        old = running.tag_with_digest if running is not None else ""
        out.changes.append((Change(image.alias, new, old, image.target), original))
    return out
