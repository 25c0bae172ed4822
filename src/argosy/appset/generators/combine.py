"""``matrix`` and ``merge``: generators made of two or more child generators.

Matrix: every combination of the two children's sets, in the first child's
order; the second child is rendered with each set of the first, so it can
use its parameters (``path: '{{.path.path}}/config.json'``). Merge: the first
child's sets, overridden by the later children's sets that share the values
of ``mergeKeys``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from argosy.appset.generators.context import GenerateContext, GeneratorError
from argosy.appset.params import Params, deep_merge_first_wins, merge_key
from argosy.appset.template import Renderer

ChildRunner = Callable[[Mapping[str, Any], GenerateContext], list[Params]]


def child_spec(value: Any, where: str) -> dict[str, Any]:
    """A nested generator, written as an object or (Argo CD's deeper levels) as JSON text."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise GeneratorError(f"{where}: not a valid nested generator: {exc}") from None
    if not isinstance(value, Mapping):
        raise GeneratorError(f"{where}: must be an object")
    return dict(value)


def combine_string_maps(a: Mapping[str, Any], b: Mapping[str, Any]) -> Params:
    """fasttemplate matrix: the union; one key with two different values is an error."""
    out: Params = dict(a)
    for key, value in b.items():
        if key in out and out[key] != value:
            raise GeneratorError(
                f"matrix generator: found duplicate key {key} with different value, a: {out[key]} ,b: {value}"
            )
        out[key] = value
    return out


def interpolate(generator: Mapping[str, Any], params: Params, renderer: Renderer) -> dict[str, Any]:
    """A child generator rendered with one parameter set of a sibling (its ``template`` untouched).

    ``values`` that name parameters this set does not have stay templates, to be
    filled by the child's own parameters later.
    """
    from argosy.appset.gotemplate.execute import MissingKeyError
    from argosy.appset.template import TemplateError

    def walk(value: Any, path: str) -> Any:
        if isinstance(value, Mapping):
            out: dict[str, Any] = {}
            for k, v in value.items():
                key = renderer.string(str(k), params)
                if k == "template":
                    out[key] = v
                elif k == "values" and isinstance(v, Mapping):
                    out[key] = {vk: render_value(vk, vv) for vk, vv in v.items()}
                else:
                    out[key] = walk(v, f"{path}.{k}")
            return out
        if isinstance(value, list):
            return [walk(v, f"{path}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, str):
            return renderer.string(value, params)
        return value

    strict = Renderer(renderer.go_template, ["missingkey=error"]) if renderer.go_template else renderer

    def render_value(key: str, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return strict.string(value, params)
        except MissingKeyError:
            return value
        except TemplateError as exc:
            raise GeneratorError(f'failed to pre-resolve values key "{key}": {exc}') from None

    try:
        result = walk(generator, "")
    except TemplateError as exc:
        raise GeneratorError(f"failed to replace parameters in generator: {exc}") from None
    assert isinstance(result, dict)
    return result


def _one_generator(child: Mapping[str, Any], where: str, kinds: tuple[str, ...]) -> None:
    named = [k for k in kinds if child.get(k) is not None]
    if len(named) != 1:
        raise GeneratorError(
            f"{where}: must name exactly one generator, found {len(named)} ({', '.join(named)})"
        )


def generate_matrix(
    spec: Mapping[str, Any], ctx: GenerateContext, run: ChildRunner, kinds: tuple[str, ...]
) -> list[Params]:
    children = spec.get("generators") or []
    if len(children) != 2:
        raise GeneratorError(f"matrix generator: needs exactly two child generators, found {len(children)}")
    first_spec = child_spec(children[0], "matrix.generators[0]")
    second_spec = child_spec(children[1], "matrix.generators[1]")
    _one_generator(first_spec, "matrix.generators[0]", kinds)
    _one_generator(second_spec, "matrix.generators[1]", kinds)
    out: list[Params] = []
    for a in run(first_spec, ctx):
        for b in run(interpolate(second_spec, a, ctx.renderer), ctx):
            out.append(deep_merge_first_wins(a, b) if ctx.renderer.go_template else combine_string_maps(a, b))
    return out


def group_by_merge_keys(param_sets: list[Params], keys: list[str]) -> dict[str, Params]:
    """Sets keyed by the JSON of their merge-key values; two sets with one key are an error."""
    if not keys:
        raise GeneratorError("merge generator: mergeKeys must list at least one key")
    unique = list(dict.fromkeys(keys))
    out: dict[str, Params] = {}
    for params in param_sets:
        key = merge_key(params, unique)
        if key in out:
            raise GeneratorError(
                "merge generator: the parameter sets of one child must be unique by mergeKeys; "
                f"duplicate key was {key}"
            )
        out[key] = params
    return out


def _override(base: Mapping[str, Any], over: Mapping[str, Any]) -> Params:
    out: Params = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _override(out[key], value)
        elif value not in (None, "", [], {}) or key not in out:
            out[key] = value
    return out


def generate_merge(
    spec: Mapping[str, Any], ctx: GenerateContext, run: ChildRunner, kinds: tuple[str, ...]
) -> list[Params]:
    children = spec.get("generators") or []
    if len(children) < 2:
        raise GeneratorError(f"merge generator: needs at least two child generators, found {len(children)}")
    keys = [str(k) for k in spec.get("mergeKeys") or []]
    outputs = []
    for i, child in enumerate(children):
        child_dict = child_spec(child, f"merge.generators[{i}]")
        _one_generator(child_dict, f"merge.generators[{i}]", kinds)
        outputs.append(run(child_dict, ctx))
    base = group_by_merge_keys(outputs[0], keys)
    for later in outputs[1:]:
        grouped = group_by_merge_keys(later, keys)
        for key, params in base.items():
            if key in grouped:
                base[key] = (
                    _override(params, grouped[key])
                    if ctx.renderer.go_template
                    else {**params, **grouped[key]}
                )
    return list(base.values())
