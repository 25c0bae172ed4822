"""Image overrides for plain-directory sources: Kustomize's ``images`` for apps that are not Kustomize.

Argo CD can override images only through Helm parameters or Kustomize; a
directory of YAML has no such knob. Argosy adds one: the Application
annotation ``argosy.io/image-overrides`` lists overrides in Kustomize's image
syntax (``name=newName:tag``, ``name:tag``, ``name@sha256:…``, comma separated),
and the repo server applies them to the rendered workloads of **Directory**
sources: every ``containers``/``initContainers``/``ephemeralContainers`` image
of a Pod template (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job,
CronJob, ReplicationController) whose name (the image without tag and digest)
is ``name``. It is a render input (part of the cache key), so the desired
state, the diff and the sync all see the overridden image. The image updater
writes it for directory apps; a user can set it by hand too. A sync records the
overrides it used (``operation.info`` ``imageOverrides``), so a changed annotation
is new "source settings" for automated sync, as a changed Helm parameter is.
"""

from __future__ import annotations

from typing import Any

from argosy.engine.source_overrides import kustomize_image_name
from argosy.model.constants import ANNOTATION_IMAGE_OVERRIDES

ANNOTATION = ANNOTATION_IMAGE_OVERRIDES
_CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")


def parse(text: str | None) -> list[str]:
    return [item.strip() for item in (text or "").split(",") if item.strip()]


def _split(override: str) -> tuple[str, str, str, str]:
    """(name, new name, tag, digest) of ``name=new:tag@digest`` / ``name:tag`` / ``name@digest``."""
    name = kustomize_image_name(override)
    rest = override.split("=", 1)[1] if "=" in override else override
    rest, _, digest = rest.partition("@")
    new_name = kustomize_image_name(rest)
    tag = rest[len(new_name) + 1 :] if len(rest) > len(new_name) else ""
    return name, new_name, tag, digest


def _pod_specs(obj: dict[str, Any]) -> list[dict[str, Any]]:
    kind = obj.get("kind")
    raw = obj.get("spec")
    spec: dict[str, Any] = raw if isinstance(raw, dict) else {}
    if kind == "Pod":
        return [spec]
    if kind == "CronJob":
        spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    template = (spec.get("template") or {}).get("spec")
    return [template] if isinstance(template, dict) else []


def apply(objects: list[dict[str, Any]], overrides: list[str]) -> int:
    """Rewrite matching images in place; returns how many container images changed."""
    table = {}
    for override in overrides:
        name, new_name, tag, digest = _split(override)
        table[name] = (new_name, tag, digest)
    changed = 0
    for obj in objects:
        for pod in _pod_specs(obj):
            for list_name in _CONTAINER_LISTS:
                for container in pod.get(list_name) or []:
                    image = str(container.get("image") or "")
                    match = table.get(kustomize_image_name(image))
                    if match is None:
                        continue
                    new_name, tag, digest = match
                    old_rest = image[len(kustomize_image_name(image)) :]
                    old_tag = old_rest[1:].split("@", 1)[0] if old_rest.startswith(":") else ""
                    value = new_name
                    if tag or old_tag:
                        value += f":{tag or old_tag}"
                    if digest:
                        value += f"@{digest}"
                    if value != image:
                        container["image"] = value
                        changed += 1
    return changed
