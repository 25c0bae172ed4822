"""What a source offers to parameterise: Argo CD's ``RepoAppDetailsResponse``.

The UI's Parameters tab shows a Helm chart's values files to choose from and its default
values beside the app's overrides, and a Kustomize base's images. It reads them from the
source's commit without a checkout or a render (``git ls-tree`` and blobs, as the
ApplicationSet git generator does), so asking costs no helm or kustomize process.
Charts from Helm repositories are not downloaded for this: their answer says only ``Helm``.
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING, Any

import yaml

from argosy.engine import yamlbounds
from argosy.repo.errors import InvalidSourceError, ManifestParseError, PathNotFoundError
from argosy.repo.request import RenderRequest

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
        return {"type": "Helm", "helm": {"name": source.chart, "valueFiles": [], "parameters": []}}
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
        """The YAML document of one file of the source (errors name the file)."""
        try:
            return yamlbounds.load(body)
        except yaml.YAMLError as exc:
            where = f"{base}/{rel}" if base else rel
            raise ManifestParseError(f"{where}: not valid YAML: {exc}", file=where) from None

    if "Chart.yaml" in inside:
        values = text("values.yaml") if "values.yaml" in inside else ""
        value_files = sorted(
            f for f in inside if f.endswith((".yaml", ".yml")) and "values" in posixpath.basename(f)
        )
        helm = {
            "name": req.app_name,
            "valueFiles": value_files,
            "values": values,
            "parameters": flatten(parse("values.yaml", values) if values else {})[:MAX_PARAMETERS],
        }
        return {"type": "Helm", "helm": helm}
    found = next((k for k in _KUSTOMIZATIONS if k in inside), "")
    if found:
        kustomization = parse(found, text(found))
        if not isinstance(kustomization, dict):
            raise ManifestParseError(f"{found}: expected a Kustomization object", file=found)
        images = [_image(i) for i in (kustomization.get("images") or []) if isinstance(i, dict)]
        return {"type": "Kustomize", "kustomize": {"images": [i for i in images if i]}}
    return {"type": "Directory", "directory": {}}


def _image(entry: dict[str, Any]) -> str:
    """A kustomization ``images`` entry in Argo CD's ``name=newName:newTag`` form."""
    name = str(entry.get("name") or "")
    new = str(entry.get("newName") or name)
    tag = f":{entry['newTag']}" if entry.get("newTag") else ""
    tag = f"@{entry['digest']}" if entry.get("digest") else tag
    return f"{name}={new}{tag}" if name and (new != name or tag) else name
