"""What a source offers to parameterise: Argo CD's ``RepoAppDetailsResponse``.

The UI's Parameters tab shows a Helm chart's values files to choose from and its default
values beside the app's overrides, and a Kustomize base's images. A Git source is read from
its commit without a checkout or a render (``git ls-tree`` and blobs, as the ApplicationSet
git generator does), so asking costs no helm or kustomize process. A chart from a Helm
repository (or OCI registry) is read from the unpacked chart the render uses
(:meth:`RepoService.chart_files`: one download per chart version, credentials from the
repository Secrets). Both kinds of chart are answered by one rule (:func:`_helm`).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import yaml

from argosy.engine import yamlbounds
from argosy.engine.mergepatch import merge_patch
from argosy.repo.errors import InvalidSourceError, ManifestParseError, PathNotFoundError
from argosy.repo.paths import check_symlinks
from argosy.repo.redact import strip_userinfo
from argosy.repo.request import RenderRequest
from argosy.repo.source import RenderSource

if TYPE_CHECKING:
    from argosy.repo.service import RepoService

_KUSTOMIZATIONS = ("kustomization.yaml", "kustomization.yml", "Kustomization")
#: at most this many parameters are listed from a chart's values.yaml (a huge chart stays answerable)
MAX_PARAMETERS = 2000


def flatten(values: Any, prefix: str = "") -> list[dict[str, str]]:
    """Helm ``--set`` names of the leaves of ``values`` (``image.tag``, ``args[0]``), as Argo CD lists."""
    out: list[dict[str, str]] = []
    if isinstance(values, dict):
        for key, value in values.items():
            out += flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(values, list) and values:
        for i, value in enumerate(values):
            out += flatten(value, f"{prefix}[{i}]")
    elif prefix:
        text = "" if values is None else str(values).lower() if isinstance(values, bool) else str(values)
        out.append({"name": prefix, "value": text})
    return out


def app_details(service: RepoService, req: RenderRequest) -> dict[str, Any]:
    """Details of ``req``'s first source (the caller sends the one source it asks about)."""
    sources = req.parsed_sources()
    if not sources:
        raise InvalidSourceError("source: required")
    source = sources[0]
    if source.is_helm_repo:
        return _chart_from_repository(service, req, source)
    sha, _dirs, files = service.git_listing(
        source.repo_url, source.target_revision, req.repositories, req.project
    )
    base = posixpath.normpath(source.path or ".").strip("/")
    base = "" if base == "." else base
    inside = [f[len(base) + 1 :] if base else f for f in files if not base or f.startswith(base + "/")]
    if not inside:
        raise PathNotFoundError(f"path {source.path!r}: no such directory in {source.repo_url} at {sha}")

    def text(rel: str) -> str:
        path = f"{base}/{rel}" if base else rel
        return service.git_file(source.repo_url, sha, path, req.repositories, req.project).decode(
            "utf-8", "replace"
        )

    def parse(rel: str, body: str) -> Any:
        return _parse(f"{base}/{rel}" if base else rel, body)

    if "Chart.yaml" in inside:
        chosen = [f for f in _selected(source) if f in inside]
        return _helm(req.app_name, [f for f in inside if "/" not in f], text, parse, chosen)
    found = next((k for k in _KUSTOMIZATIONS if k in inside), "")
    if found:
        kustomization = parse(found, text(found))
        if not isinstance(kustomization, dict):
            raise ManifestParseError(f"{found}: expected a Kustomization object", file=found)
        images = [_image(i) for i in (kustomization.get("images") or []) if isinstance(i, dict)]
        return {"type": "Kustomize", "kustomize": {"images": [i for i in images if i]}}
    return {"type": "Directory", "directory": {}}


def _chart_from_repository(service: RepoService, req: RenderRequest, source: RenderSource) -> dict[str, Any]:
    """A Helm-repository chart's details, read from the chart the render downloads and caches.

    Errors of the download name the chart, the version and the repository (see
    :meth:`HelmRepos.resolve`); a symlink leaving the chart is refused as for a render."""
    version, chart = service.chart_files(source, req.repositories, req.project)
    check_symlinks(chart)
    top = [p.name for p in chart.iterdir() if p.is_file()]
    where = f"chart {source.chart!r} {version} from {strip_userinfo(source.repo_url)}"

    def text(name: str) -> str:
        return (chart / name).read_text(encoding="utf-8", errors="replace")

    chosen = [f for f in _selected(source) if (chart / f).is_file()]

    return _helm(source.chart, top, text, lambda name, body: _parse(f"{where}: {name}", body), chosen)


def _selected(source: RenderSource) -> list[str]:
    """The app's own ``helm.valueFiles`` that name a file of the chart (relative, inside it;
    URLs and ``$ref`` files of other sources are the render's business, not the defaults')."""
    out = []
    for spec in source.helm.value_files if source.helm else []:
        rel = posixpath.normpath(spec.strip())
        if rel and not rel.startswith(("/", "..", "$")) and "://" not in spec:
            out.append(rel)
    return out


def _helm(
    name: str,
    top: list[str],
    text: Callable[[str], str],
    parse: Callable[[str, str], Any],
    chosen: Sequence[str] = (),
) -> dict[str, Any]:
    """Argo CD's ``HelmAppSpec`` of a chart whose top-level files are ``top``: the values files
    beside Chart.yaml (Argo CD's ``findHelmValueFilesInPath``: ``*values*.yaml|yml``, not those of
    subcharts), values.yaml's text, and as ``--set`` parameters the leaves of values.yaml with
    the app's ``chosen`` values files laid over it in order (as ``helm --values`` does: maps
    merge, ``null`` removes, lists are replaced), so the tab shows the defaults the app renders
    with, as Argo CD's GetAppDetails does."""
    values = text("values.yaml") if "values.yaml" in top else ""
    value_files = sorted(f for f in top if "values" in f and f.lower().endswith((".yaml", ".yml")))
    merged = parse("values.yaml", values) if values else {}
    for rel in chosen:
        if rel == "values.yaml":
            continue
        layer = parse(rel, text(rel))
        if isinstance(merged, dict) and isinstance(layer, dict):
            merged = merge_patch(merged, layer)
    parameters = flatten(merged or {})[:MAX_PARAMETERS]
    return {
        "type": "Helm",
        "helm": {"name": name, "valueFiles": value_files, "values": values, "parameters": parameters},
    }


def _parse(where: str, body: str) -> Any:
    """The YAML document of one file (errors name the file)."""
    try:
        return yamlbounds.load(body)
    except yaml.YAMLError as exc:
        raise ManifestParseError(f"{where}: not valid YAML: {exc}", file=where) from None


def _image(entry: dict[str, Any]) -> str:
    """A kustomization ``images`` entry in Argo CD's ``name=newName:newTag`` form."""
    name = str(entry.get("name") or "")
    new = str(entry.get("newName") or name)
    tag = f":{entry['newTag']}" if entry.get("newTag") else ""
    tag = f"@{entry['digest']}" if entry.get("digest") else tag
    return f"{name}={new}{tag}" if name and (new != name or tag) else name
