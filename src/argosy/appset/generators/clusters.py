"""The clusters generator: one parameter set per registered cluster.

Parameters: ``name``, ``nameNormalized`` (the name made a valid Application
name, see :mod:`argosy.appset.names`: ``admin@production-cluster-v1`` →
``admin-production-cluster-v1``), ``server``, ``project`` and the Secret's
labels and annotations (``metadata.labels.<key>``; with Go templates
``.metadata.labels``). The local cluster (``in-cluster``) comes last, only
when there is no selector and no Secret registers that server.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from argosy.appset.generators.context import GenerateContext, GeneratorError
from argosy.appset.names import normalize
from argosy.appset.params import Params, with_values
from argosy.appset.selector import SelectorError, is_empty, selector_matches
from argosy.settings.clusters import IN_CLUSTER_NAME, IN_CLUSTER_SERVER, is_cluster_secret
from argosy.settings.secrets import SecretDataError, secret_text


def cluster_params(secret: Mapping[str, Any], go_template: bool) -> Params:
    """The parameters of one cluster Secret."""
    meta = secret.get("metadata") or {}
    try:
        data = secret_text(secret, what=f"cluster Secret {meta.get('name')!r}")
    except SecretDataError as exc:
        raise GeneratorError(f"clusters generator: {exc}") from None
    name = data.get("name", "")
    params: Params = {
        "name": name,
        "nameNormalized": normalize(name),
        "server": data.get("server", ""),
        "project": data.get("project", ""),
    }
    labels = dict(meta.get("labels") or {})
    annotations = dict(meta.get("annotations") or {})
    if go_template:
        params["metadata"] = {k: v for k, v in (("labels", labels), ("annotations", annotations)) if v}
    else:
        params.update({f"metadata.labels.{k}": v for k, v in labels.items()})
        params.update({f"metadata.annotations.{k}": v for k, v in annotations.items()})
    return params


def generate_clusters(spec: Mapping[str, Any], ctx: GenerateContext) -> list[Params]:
    selector = spec.get("selector") or {}
    by_name: dict[str, Mapping[str, Any]] = {}
    for secret in ctx.cluster_secrets:
        if not is_cluster_secret(secret):
            continue
        labels = (secret.get("metadata") or {}).get("labels") or {}
        try:
            if not selector_matches(selector, labels):
                continue
        except SelectorError as exc:
            raise GeneratorError(f"clusters generator: selector {exc}") from None
        params = cluster_params(secret, ctx.renderer.go_template)
        by_name[str(params["name"])] = params
    found = list(by_name.values())
    if (
        ctx.in_cluster_enabled
        and is_empty(selector)
        and not any(str(p["server"]).rstrip("/") == IN_CLUSTER_SERVER for p in found)
    ):
        local: Params = {
            "name": IN_CLUSTER_NAME,
            "nameNormalized": IN_CLUSTER_NAME,
            "server": IN_CLUSTER_SERVER,
            "project": "",
        }
        found.append(local)
    values = spec.get("values") or {}
    out = [with_values(dict(p), values, ctx.renderer) for p in found]
    if spec.get("flatList"):
        return [{"clusters": out}]
    return out
