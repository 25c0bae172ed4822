"""Typed view of an Application source (``spec.source`` / ``spec.sources[i]``).

Field names follow ``argoproj.io/v1alpha1`` exactly, so an Application written
for Argo CD renders the same here. Parsing is strict about types (a string
where a list is expected is an :class:`InvalidSourceError` naming the field)
and lenient about unknown keys (newer Argo CD fields are ignored, not fatal).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from argosy.repo.errors import InvalidSourceError


def _get(d: dict[str, Any], key: str, typ: type | tuple[type, ...], where: str, default: Any) -> Any:
    value = d.get(key)
    if value is None:
        return default
    if not isinstance(value, typ):
        raise InvalidSourceError(f"{where}.{key}: expected {_name(typ)}, got {type(value).__name__}")
    return value


def _name(typ: type | tuple[type, ...]) -> str:
    names = {str: "string", bool: "boolean", list: "list", dict: "object", int: "integer"}
    if isinstance(typ, tuple):
        return " or ".join(names.get(t, t.__name__) for t in typ)
    return names.get(typ, typ.__name__)


def _str_list(d: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    items = _get(d, key, list, where, [])
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise InvalidSourceError(f"{where}.{key}[{i}]: expected string")
    return tuple(items)


def _str_map(d: dict[str, Any], key: str, where: str) -> dict[str, str]:
    items = _get(d, key, dict, where, {})
    return {str(k): "" if v is None else str(v) for k, v in items.items()}


@dataclass(frozen=True)
class HelmParameter:
    name: str
    value: str
    force_string: bool = False


@dataclass(frozen=True)
class HelmFileParameter:
    name: str
    path: str


@dataclass(frozen=True)
class HelmOptions:
    value_files: tuple[str, ...] = ()
    values: str = ""
    values_object: dict[str, Any] | None = None
    parameters: tuple[HelmParameter, ...] = ()
    file_parameters: tuple[HelmFileParameter, ...] = ()
    release_name: str = ""
    namespace: str = ""
    kube_version: str = ""
    api_versions: tuple[str, ...] = ()
    skip_crds: bool = False
    skip_tests: bool = False
    skip_schema_validation: bool = False
    ignore_missing_value_files: bool = False
    pass_credentials: bool = False


@dataclass(frozen=True)
class KustomizeReplica:
    name: str
    count: int


@dataclass(frozen=True)
class KustomizeOptions:
    name_prefix: str = ""
    name_suffix: str = ""
    images: tuple[str, ...] = ()
    common_labels: dict[str, str] = field(default_factory=dict)
    common_annotations: dict[str, str] = field(default_factory=dict)
    common_annotations_envsubst: bool = False
    force_common_labels: bool = False
    force_common_annotations: bool = False
    label_without_selector: bool = False
    namespace: str = ""
    replicas: tuple[KustomizeReplica, ...] = ()
    patches: tuple[dict[str, Any], ...] = ()
    components: tuple[str, ...] = ()
    ignore_missing_components: bool = False
    kube_version: str = ""
    api_versions: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        return self == KustomizeOptions()


@dataclass(frozen=True)
class DirectoryOptions:
    recurse: bool = False
    include: str = ""
    exclude: str = ""


@dataclass(frozen=True)
class ApplicationSource:
    """One source of an Application; ``raw`` keeps the dict for cache keys and the wire."""

    repo_url: str
    path: str = ""
    target_revision: str = ""
    chart: str = ""
    ref: str = ""
    name: str = ""
    helm: HelmOptions | None = None
    kustomize: KustomizeOptions | None = None
    directory: DirectoryOptions | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def is_helm_repo(self) -> bool:
        """A chart from a Helm repository (``chart`` set), not a chart in Git."""
        return bool(self.chart)

    def options_key(self) -> str:
        """Everything but repoURL/targetRevision, canonically encoded, for cache keys."""
        rest = {k: v for k, v in self.raw.items() if k not in ("repoURL", "targetRevision", "name")}
        return json.dumps(rest, sort_keys=True, separators=(",", ":"))


def _helm(d: dict[str, Any], where: str) -> HelmOptions:
    params = []
    for i, p in enumerate(_get(d, "parameters", list, where, [])):
        w = f"{where}.parameters[{i}]"
        if not isinstance(p, dict) or not isinstance(p.get("name"), str):
            raise InvalidSourceError(f"{w}: expected an object with a string name")
        params.append(HelmParameter(p["name"], str(p.get("value", "")), bool(p.get("forceString"))))
    files = []
    for i, p in enumerate(_get(d, "fileParameters", list, where, [])):
        w = f"{where}.fileParameters[{i}]"
        if (
            not isinstance(p, dict)
            or not isinstance(p.get("name"), str)
            or not isinstance(p.get("path"), str)
        ):
            raise InvalidSourceError(f"{w}: expected an object with string name and path")
        files.append(HelmFileParameter(p["name"], p["path"]))
    values = d.get("values")
    if values is not None and not isinstance(values, str):
        raise InvalidSourceError(f"{where}.values: expected a YAML string (use valuesObject for an object)")
    return HelmOptions(
        value_files=_str_list(d, "valueFiles", where),
        values=values or "",
        values_object=_get(d, "valuesObject", dict, where, None),
        parameters=tuple(params),
        file_parameters=tuple(files),
        release_name=_get(d, "releaseName", str, where, ""),
        namespace=_get(d, "namespace", str, where, ""),
        kube_version=_get(d, "kubeVersion", str, where, ""),
        api_versions=_str_list(d, "apiVersions", where),
        skip_crds=_get(d, "skipCrds", bool, where, False),
        skip_tests=_get(d, "skipTests", bool, where, False),
        skip_schema_validation=_get(d, "skipSchemaValidation", bool, where, False),
        ignore_missing_value_files=_get(d, "ignoreMissingValueFiles", bool, where, False),
        pass_credentials=_get(d, "passCredentials", bool, where, False),
    )


def _kustomize(d: dict[str, Any], where: str) -> KustomizeOptions:
    replicas = []
    for i, r in enumerate(_get(d, "replicas", list, where, [])):
        w = f"{where}.replicas[{i}]"
        if not isinstance(r, dict) or not isinstance(r.get("name"), str):
            raise InvalidSourceError(f"{w}: expected an object with name and count")
        try:
            count = int(r.get("count", 0))
        except (TypeError, ValueError) as exc:
            raise InvalidSourceError(f"{w}.count: expected an integer, got {r.get('count')!r}") from exc
        replicas.append(KustomizeReplica(r["name"], count))
    patches = _get(d, "patches", list, where, [])
    for i, p in enumerate(patches):
        if not isinstance(p, dict) or not (p.get("patch") or p.get("path")):
            raise InvalidSourceError(f"{where}.patches[{i}]: expected an object with patch or path")
    return KustomizeOptions(
        name_prefix=_get(d, "namePrefix", str, where, ""),
        name_suffix=_get(d, "nameSuffix", str, where, ""),
        images=_str_list(d, "images", where),
        common_labels=_str_map(d, "commonLabels", where),
        common_annotations=_str_map(d, "commonAnnotations", where),
        common_annotations_envsubst=_get(d, "commonAnnotationsEnvsubst", bool, where, False),
        force_common_labels=_get(d, "forceCommonLabels", bool, where, False),
        force_common_annotations=_get(d, "forceCommonAnnotations", bool, where, False),
        label_without_selector=_get(d, "labelWithoutSelector", bool, where, False),
        namespace=_get(d, "namespace", str, where, ""),
        replicas=tuple(replicas),
        patches=tuple(patches),
        components=_str_list(d, "components", where),
        ignore_missing_components=_get(d, "ignoreMissingComponents", bool, where, False),
        kube_version=_get(d, "kubeVersion", str, where, ""),
        api_versions=_str_list(d, "apiVersions", where),
    )


def parse_source(d: Any, where: str = "spec.source") -> ApplicationSource:
    """Parse one source dict; errors name the field (``spec.sources[1].helm.valueFiles``)."""
    if not isinstance(d, dict):
        raise InvalidSourceError(f"{where}: expected an object")
    repo_url = d.get("repoURL")
    if not isinstance(repo_url, str) or not repo_url.strip():
        raise InvalidSourceError(f"{where}.repoURL: required")
    if d.get("plugin") is not None:
        raise InvalidSourceError(f"{where}.plugin: config management plugins are not supported yet")
    tools = [t for t in ("helm", "kustomize", "directory") if d.get(t) is not None]
    if len(tools) > 1:
        raise InvalidSourceError(f"{where}: multiple source types set ({', '.join(tools)}); choose one")
    helm = _helm(_get(d, "helm", dict, where, {}), f"{where}.helm") if "helm" in tools else None
    kust = (
        _kustomize(_get(d, "kustomize", dict, where, {}), f"{where}.kustomize")
        if tools == ["kustomize"]
        else None
    )
    directory = None
    if tools == ["directory"]:
        dd = _get(d, "directory", dict, where, {})
        if dd.get("jsonnet"):
            raise InvalidSourceError(f"{where}.directory.jsonnet: Jsonnet is not supported yet")
        w = f"{where}.directory"
        directory = DirectoryOptions(
            _get(dd, "recurse", bool, w, False),
            _get(dd, "include", str, w, ""),
            _get(dd, "exclude", str, w, ""),
        )
    ref = _get(d, "ref", str, where, "")
    if ref and ("/" in ref or ref.startswith("$")):
        raise InvalidSourceError(f"{where}.ref: {ref!r} must be a plain name (used as ${ref}/path)")
    return ApplicationSource(
        repo_url=repo_url.strip(),
        path=_get(d, "path", str, where, ""),
        target_revision=str(d.get("targetRevision") or "").strip(),
        chart=_get(d, "chart", str, where, ""),
        ref=ref,
        name=_get(d, "name", str, where, ""),
        helm=helm,
        kustomize=kust,
        directory=directory,
        raw=dict(d),
    )


def application_sources(app: dict[str, Any]) -> list[ApplicationSource]:
    """``spec.sources`` when set (it wins, as in Argo CD), else ``spec.source``."""
    spec = app.get("spec")
    if not isinstance(spec, dict):
        raise InvalidSourceError("spec: required")
    sources = spec.get("sources")
    if sources:
        if not isinstance(sources, list):
            raise InvalidSourceError("spec.sources: expected a list")
        return [parse_source(s, f"spec.sources[{i}]") for i, s in enumerate(sources)]
    if spec.get("source") is None:
        raise InvalidSourceError("spec.source or spec.sources: required")
    return [parse_source(spec["source"])]
