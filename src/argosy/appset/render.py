"""From one parameter set to one Application.

The generator's own ``template`` is merged over the ApplicationSet's (its
non-empty fields win, maps such as labels are merged), every string is
rendered (:mod:`argosy.appset.template`), ``templatePatch`` is rendered and
applied as a merge patch (its ``spec.project`` is ignored: the project is a
security boundary and must come from the template), and the
``resources-finalizer`` is added when the template names no finalizer, unless
``syncPolicy.preserveResourcesOnDeletion``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import yaml

from argosy.appset.params import Params
from argosy.appset.template import Renderer, TemplateError
from argosy.engine import yamlbounds
from argosy.engine.mergepatch import merge_patch
from argosy.model.constants import API_VERSION, KIND_APPLICATION, RESOURCES_FINALIZER


class RenderError(ValueError):
    """A template or patch that cannot be rendered; the message names the field and the cause."""


def merge_templates(base: Mapping[str, Any], override: Mapping[str, Any] | None) -> dict[str, Any]:
    """``override``'s non-empty fields over ``base``, maps merged recursively."""
    out = copy.deepcopy(dict(base))
    for key, value in (override or {}).items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge_templates(out[key], value)
        elif value not in (None, "", [], {}, False, 0):
            out[key] = copy.deepcopy(value)
    return out


def apply_template_patch(app: dict[str, Any], patch_text: str) -> dict[str, Any]:
    """Apply an already-rendered ``templatePatch`` (YAML or JSON) to a rendered Application."""
    try:
        patch = yamlbounds.load(patch_text)
    except yaml.YAMLError as exc:
        raise RenderError(f"templatePatch is not valid YAML/JSON: {exc}") from None
    if patch is None:
        return app
    if not isinstance(patch, dict):
        raise RenderError(
            "templatePatch must be an object (fields of an Application), not a " + type(patch).__name__
        )
    project = (app.get("spec") or {}).get("project")
    result = merge_patch(copy.deepcopy(app), patch)
    spec = result.get("spec")
    if isinstance(spec, dict):
        if project is None:
            spec.pop("project", None)
        else:
            spec["project"] = project
    return result


def render_application(
    template: Mapping[str, Any],
    params: Params,
    renderer: Renderer,
    *,
    generator_template: Mapping[str, Any] | None = None,
    template_patch: str | None = None,
    sync_policy: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The Application for one parameter set (not yet validated)."""
    merged = merge_templates(template, generator_template)
    try:
        rendered = renderer.object(merged, params)
    except TemplateError as exc:
        raise RenderError(str(exc)) from None
    meta = dict(rendered.get("metadata") or {})
    app: dict[str, Any] = {
        "apiVersion": API_VERSION,
        "kind": KIND_APPLICATION,
        "metadata": meta,
        "spec": rendered.get("spec") or {},
    }
    if template_patch:
        try:
            patch_text = renderer.string(template_patch, params)
        except TemplateError as exc:
            raise RenderError(f"templatePatch: {exc}") from None
        app = apply_template_patch(app, patch_text)
        meta = app["metadata"]
    if not meta.get("finalizers"):
        meta.pop("finalizers", None)
        if not (sync_policy or {}).get("preserveResourcesOnDeletion"):
            meta["finalizers"] = [RESOURCES_FINALIZER]
    return app
