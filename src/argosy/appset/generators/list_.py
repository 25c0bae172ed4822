"""The list generator: parameter sets written out in ``elements`` (and ``elementsYaml``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from argosy.appset.generators.context import GenerateContext, GeneratorError
from argosy.appset.params import Params
from argosy.engine import yamlbounds


def generate_list(spec: Mapping[str, Any], ctx: GenerateContext) -> list[Params]:
    """Each element is one set; with fasttemplate, values are strings and ``values`` is ``values.<k>``."""
    out: list[Params] = []
    for i, element in enumerate(spec.get("elements") or []):
        if not isinstance(element, Mapping):
            raise GeneratorError(f"list generator: elements[{i}] is not an object")
        if ctx.renderer.go_template:
            out.append(dict(element))
            continue
        params: Params = {}
        for key, value in element.items():
            if key == "values":
                if not isinstance(value, Mapping):
                    raise GeneratorError(f"list generator: elements[{i}].values must be an object")
                for k, v in value.items():
                    if not isinstance(v, str):
                        raise GeneratorError(
                            f"list generator: elements[{i}].values.{k} must be a string "
                            "(quote it, or use goTemplate: true for structured values)"
                        )
                    params[f"values.{k}"] = v
            elif not isinstance(value, str):
                raise GeneratorError(
                    f"list generator: elements[{i}].{key} must be a string "
                    "(quote it, or use goTemplate: true for structured values)"
                )
            else:
                params[key] = value
        out.append(params)
    text = spec.get("elementsYaml") or ""
    if text:
        try:
            extra = yamlbounds.load(text)
        except yaml.YAMLError as exc:
            raise GeneratorError(f"list generator: elementsYaml is not valid YAML: {exc}") from None
        if extra is not None and (
            not isinstance(extra, list) or not all(isinstance(e, Mapping) for e in extra)
        ):
            raise GeneratorError("list generator: elementsYaml must be a YAML list of objects")
        out.extend(dict(e) for e in extra or [])
    return out
