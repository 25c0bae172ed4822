"""ApplicationSet generators: each turns one entry of ``spec.generators`` into parameter sets.

:func:`generate` runs one entry (``list``, ``clusters``, ``git``, ``matrix``,
``merge``), applies its post-generator ``selector`` and returns the sets with
the generator's own ``template`` override. Generators read the outside world
only through :class:`GenerateContext`, so they are pure and testable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from argosy.appset.generators.clusters import generate_clusters
from argosy.appset.generators.combine import generate_matrix, generate_merge
from argosy.appset.generators.context import GenerateContext, GeneratorError, GitReader
from argosy.appset.generators.git import generate_git
from argosy.appset.generators.list_ import generate_list
from argosy.appset.generators.plugin import generate_plugin
from argosy.appset.generators.scm import generate_pull_requests, generate_scm_provider
from argosy.appset.params import Params, select
from argosy.appset.selector import SelectorError

__all__ = [
    "KINDS",
    "GenerateContext",
    "GeneratedSets",
    "GeneratorError",
    "GitReader",
    "generate",
    "params_of",
]

KINDS = (
    "list",
    "clusters",
    "git",
    "matrix",
    "merge",
    "scmProvider",
    "pullRequest",
    "clusterDecisionResource",
    "plugin",
)


@dataclass
class GeneratedSets:
    """The parameter sets of one generator, and its own ``template`` (merged over the set's)."""

    kind: str
    params: list[Params]
    template: Mapping[str, Any] | None = None


def _run_kind(kind: str, spec: Mapping[str, Any], ctx: GenerateContext) -> list[Params]:
    if kind == "list":
        return generate_list(spec, ctx)
    if kind == "clusters":
        return generate_clusters(spec, ctx)
    if kind == "git":
        return generate_git(spec, ctx)
    if kind == "matrix":
        return generate_matrix(spec, ctx, params_of, KINDS)
    if kind == "merge":
        return generate_merge(spec, ctx, params_of, KINDS)
    if kind == "plugin":
        return generate_plugin(spec, ctx)
    if kind == "pullRequest":
        return generate_pull_requests(spec, ctx)
    if kind == "scmProvider":
        return generate_scm_provider(spec, ctx)
    raise GeneratorError(f"the {kind} generator is not supported by this Argosy yet")


def generate(entry: Mapping[str, Any], ctx: GenerateContext) -> list[GeneratedSets]:
    """Every generator named in one ``spec.generators`` entry, selector applied."""
    from argosy.appset.generators.combine import child_spec

    named = [k for k in KINDS if entry.get(k) is not None]
    if not named:
        raise GeneratorError("the generator entry names no generator (list, clusters, git, matrix, merge...)")
    out: list[GeneratedSets] = []
    for kind in named:
        spec = child_spec(entry[kind], kind)
        params = _run_kind(kind, spec, ctx)
        try:
            params = select(params, entry.get("selector"))
        except SelectorError as exc:
            raise GeneratorError(f"{kind} generator: selector {exc}") from None
        out.append(GeneratedSets(kind, params, spec.get("template")))
    return out


def params_of(entry: Mapping[str, Any], ctx: GenerateContext) -> list[Params]:
    """All parameter sets of one entry (a nested child's selector applies, as applyNestedSelectors)."""
    return [p for sets in generate(entry, ctx) for p in sets.params]
