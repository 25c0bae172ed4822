"""Parameter sets: what generators yield and templates consume.

A parameter set is a mapping. With fasttemplate its keys are flat
(``path.basename``, ``metadata.labels.env``) and its values strings; with Go
templates it keeps structure (``{"path": {"basename": ...}}``) and types.
This module holds the operations every generator shares: the generator's
``values`` (rendered against that set only, so values cannot reference each
other — no "billion laughs"), flattening, and the ``selector`` that keeps
only matching sets.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from argosy.appset.gotemplate.execute import go_format
from argosy.appset.selector import selector_matches
from argosy.appset.template import Renderer

Params = dict[str, Any]


def with_values(params: Params, values: Mapping[str, Any] | None, renderer: Renderer) -> Params:
    """``params`` plus the generator's ``values``, each rendered against ``params`` alone."""
    if not values:
        return params
    rendered = {key: renderer.string(str(value), params) for key, value in values.items()}
    out = dict(params)
    if renderer.go_template:
        out["values"] = rendered
    else:
        for key, value in rendered.items():
            out[f"values.{key}"] = value
    return out


def flatten(params: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Nested params as dotted string keys (list items by index), values printed as Go prints them."""
    out: dict[str, str] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, name + "."))
        elif isinstance(value, list):
            out.update(flatten({str(i): v for i, v in enumerate(value)}, name + "."))
        else:
            out[name] = go_format(value) if not isinstance(value, str) else value
    return out


def select(param_sets: list[Params], selector: Mapping[str, Any] | None) -> list[Params]:
    """The sets whose flattened values match the label ``selector`` (``{}`` or None: all)."""
    if not selector:
        return param_sets
    return [p for p in param_sets if selector_matches(selector, flatten(p))]


def merge_key(params: Mapping[str, Any], keys: list[str]) -> str:
    """The JSON of the merge-key values (a missing key counts as null)."""
    return json.dumps({k: params.get(k) for k in keys}, sort_keys=True)


def deep_merge_first_wins(first: Mapping[str, Any], second: Mapping[str, Any]) -> Params:
    """Go-template matrix combination: maps merge recursively, the first set's values win."""
    out: Params = dict(second)
    for key, value in first.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge_first_wins(value, out[key])
        else:
            out[key] = value
    return out
