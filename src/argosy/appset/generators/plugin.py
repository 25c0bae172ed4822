"""The plugin generator: parameter sets from an HTTP service (see :mod:`argosy.appset.plugin`).

Each object the plugin returns is one parameter set; the generator's
``input.parameters`` are added as ``generator.input.parameters.<key>``
(Go templates: ``.generator.input.parameters``), then its ``values``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from argosy.appset.generators.context import GenerateContext, GeneratorError
from argosy.appset.params import Params, flatten, with_values


def generate_plugin(spec: Mapping[str, Any], ctx: GenerateContext) -> list[Params]:
    name = str((spec.get("configMapRef") or {}).get("name") or "")
    if not name:
        raise GeneratorError("plugin generator: configMapRef.name is required")
    if ctx.plugins is None:
        raise GeneratorError(f"plugin generator (ConfigMap {name!r}): no plugin access configured")
    parameters = dict((spec.get("input") or {}).get("parameters") or {})
    out: list[Params] = []
    for answer in ctx.plugins.call(name, parameters, ctx.appset_name):
        params: Params = dict(answer) if ctx.renderer.go_template else flatten(answer)
        generator = {"input": {"parameters": parameters}}
        if ctx.renderer.go_template:
            params["generator"] = generator
        else:
            params.update(flatten({"generator": generator}))
        out.append(with_values(params, spec.get("values"), ctx.renderer))
    return out
