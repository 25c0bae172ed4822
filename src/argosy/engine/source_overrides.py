"""Parameter overrides of an Application source: Helm parameters and Kustomize images, one rule each.

``argosy app set --parameter/--helm-set/--kustomize-image`` and the image
updater's ``argocd`` write-back both change a source through these functions,
so a parameter set by hand and one set by the updater replace each other by
the same key (the Helm parameter name; the Kustomize image *name*).
"""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]


def set_helm_parameter(helm: Obj, name: str, value: str, force_string: bool = False) -> bool:
    """Set ``helm.parameters[name]`` (replacing an entry of that name); True when it changed."""
    params: list[Obj] = helm.setdefault("parameters", [])
    entry: Obj = {"name": name, "value": value}
    if force_string:
        entry["forceString"] = True
    for i, existing in enumerate(params):
        if existing.get("name") == name:
            if existing == entry:
                return False
            params[i] = entry
            return True
    params.append(entry)
    return True


def helm_parameter(helm: Obj | None, name: str) -> str | None:
    for p in (helm or {}).get("parameters") or []:
        if p.get("name") == name:
            return str(p.get("value") or "")
    return None


def kustomize_image_name(image: str) -> str:
    """The name a Kustomize image override replaces (``name=new:tag``, ``name:tag``, ``name@digest``)."""
    if "=" in image:
        return image.split("=", 1)[0]
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)
    if ":" in last[-1]:
        name = name[: name.rfind(":")]
    return name


def set_kustomize_image(images: list[str], image: str) -> list[str]:
    """``images`` with ``image`` replacing the override of the same name (appended when new)."""
    name = kustomize_image_name(image)
    return [i for i in images if kustomize_image_name(i) != name] + [image]
