"""Kustomize sources: ``kustomize build`` with the Application's overrides.

Argo CD applies the overrides of ``spec.source.kustomize`` by editing the
kustomization in the working copy (``kustomize edit set nameprefix``, ``set
image``, ``add label``...) before building; Argosy edits the same fields of the
same file directly (the working copy is reset after every render). To name the
file each object came from, ``buildMetadata: [originAnnotations]`` is added and
the resulting ``config.kubernetes.io/origin`` annotations are turned into
provenance and removed again, so the output is what Argo CD would apply.
Every local file or directory a kustomization references (recursively) must
stay inside the repository.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path
from typing import Any

import yaml

from argosy.engine import yamlbounds
from argosy.model.source import KustomizeSource
from argosy.repo import execute, manifests, tools
from argosy.repo.errors import ManifestParseError, PathEscapeError, RenderError
from argosy.repo.paths import relative, resolve_in_root, tool_message
from argosy.repo.renderers import KUSTOMIZATION_FILES, Rendered, RenderInput
from argosy.repo.result import Provenance, RenderedObject
from argosy.repo.urlpolicy import UrlPolicy

ORIGIN = "config.kubernetes.io/origin"
_PATH_LISTS = ("resources", "bases", "components", "crds", "configurations", "generators", "transformers")
_IMAGE = re.compile(r"^(?:(?P<name>[^=]+)=)?(?P<new>[^@]*?)(?::(?P<tag>[^:/@]+))?(?:@(?P<digest>.+))?$")


def kustomization_file(directory: Path) -> Path | None:
    for name in KUSTOMIZATION_FILES:
        if (directory / name).is_file():
            return directory / name
    return None


def _load(path: Path, root: Path) -> dict[str, Any]:
    rel = relative(root, path)
    data = manifests.load_file(path, rel) or {}
    if not isinstance(data, dict):
        raise ManifestParseError(f"{rel}: a kustomization must be a YAML object", rel)
    return data


def _is_remote(ref: str) -> bool:
    return "://" in ref or ref.startswith(("github.com/", "gitlab.com/", "bitbucket.org/", "git@"))


def _local_refs(k: dict[str, Any]) -> list[str]:
    refs: list[str] = []
    for key in _PATH_LISTS:
        refs += [r for r in k.get(key) or [] if isinstance(r, str)]
    for p in k.get("patchesStrategicMerge") or []:
        if isinstance(p, str) and "\n" not in p:
            refs.append(p)
    for key in ("patches", "patchesJson6902", "replacements"):
        refs += [
            p["path"] for p in k.get(key) or [] if isinstance(p, dict) and isinstance(p.get("path"), str)
        ]
    for key in ("configMapGenerator", "secretGenerator"):
        for gen in k.get(key) or []:
            if not isinstance(gen, dict):
                continue
            for f in gen.get("files") or []:
                if isinstance(f, str):
                    refs.append(f.split("=", 1)[-1])
            refs += [e for e in gen.get("envs") or [] if isinstance(e, str)]
            if isinstance(gen.get("env"), str):
                refs.append(gen["env"])
    return [r for r in refs if not _is_remote(r)]


def remote_bases(k: dict[str, Any]) -> list[str]:
    """Remote ``resources``/``bases``/``components`` as URLs the address policy understands
    (kustomize's ``github.com/org/repo//dir?ref=x`` shorthand is fetched over https)."""
    urls: list[str] = []
    for key in ("resources", "bases", "components"):
        for ref in k.get(key) or []:
            if isinstance(ref, str) and _is_remote(ref):
                url = ref.removeprefix("git::")
                urls.append(url if "://" in url or url.startswith("git@") else f"https://{url}")
    return urls


def check_references(
    root: Path, directory: Path, seen: set[Path] | None = None, policy: UrlPolicy | None = None
) -> None:
    """Refuse kustomizations (recursively) that reference files outside the repository, remote
    bases the address policy refuses (bases those fetch in turn are kustomize's own), or YAML
    that kustomize would expand without bound (an alias bomb runs it into its timeout: 90 s
    and 22 s of CPU per render, measured)."""
    seen = set() if seen is None else seen
    if directory in seen:
        return
    seen.add(directory)
    kfile = kustomization_file(directory)
    if kfile is None:
        return
    where = relative(root, kfile)
    k = _load(kfile, root)
    if policy is not None:
        for url in remote_bases(k):
            policy.check(url, f"{where}: remote base")
    for ref in _local_refs(k):
        try:
            target = resolve_in_root(root, ref, f"{where}: reference", base=directory)
        except PathEscapeError as exc:
            raise PathEscapeError(str(exc)) from None
        if target.is_dir():
            check_references(root, target, seen, policy)
        elif target.suffix in (".yaml", ".yml") and target.is_file():
            _check_bounded(target.read_bytes(), relative(root, target))
    for patch in _inline_patches(k):
        _check_bounded(patch.encode(), f"{where} (an inline patch)")


def _inline_patches(k: dict[str, Any]) -> list[str]:
    inline = [p for p in k.get("patchesStrategicMerge") or [] if isinstance(p, str) and "\n" in p]
    inline += [
        p["patch"] for p in k.get("patches") or [] if isinstance(p, dict) and isinstance(p.get("patch"), str)
    ]
    return inline


def _check_bounded(data: bytes, where: str) -> None:
    try:
        yamlbounds.check_all(data)
    except yamlbounds.YAMLLimitError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark is not None else None
        raise ManifestParseError(
            f"{where}:{line}: refused before kustomize build: {exc.problem}", where, line
        ) from None
    except yaml.YAMLError:
        return  # kustomize reports its own syntax errors, naming the file


def parse_image(spec: str) -> dict[str, str]:
    """``kustomize edit set image`` syntax: ``[name=]newName[:tag][@digest]``."""
    m = _IMAGE.match(spec.strip())
    if not m or not (m.group("new") or m.group("name")):
        raise RenderError(f"kustomize.images: invalid image {spec!r}")
    name = m.group("name") or m.group("new")
    entry = {"name": name}
    if m.group("name") and m.group("new"):
        entry["newName"] = m.group("new")
    if m.group("tag"):
        entry["newTag"] = m.group("tag")
    if m.group("digest"):
        entry["digest"] = m.group("digest")
    return entry


def _merge_map(k: dict[str, Any], key: str, values: dict[str, str], force: bool) -> None:
    """Like ``kustomize edit add label|annotation``: an existing key needs ``--force``."""
    current = k.setdefault(key, {}) or {}
    flag = "force" + key[0].upper() + key[1:]
    for name, value in values.items():
        if name in current and not force and str(current[name]) != value:
            raise RenderError(f"kustomize {key} {name!r} already set in the kustomization; set {flag}: true")
        current[name] = value
    k[key] = current


def _envsubst(value: str, env: dict[str, str]) -> str:
    return re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: env.get(m.group(1), ""), value)


def apply_overrides(
    k: dict[str, Any], opts: KustomizeSource, app_dir: Path, root: Path, env: dict[str, str]
) -> list[str]:
    """Edit the kustomization dict as Argo CD's ``kustomize edit`` calls would; returns warnings."""
    warnings: list[str] = []
    if opts.name_prefix:
        k["namePrefix"] = opts.name_prefix
    if opts.name_suffix:
        k["nameSuffix"] = opts.name_suffix
    if opts.images:
        images = [i for i in k.get("images") or [] if isinstance(i, dict)]
        for spec in opts.images:
            entry = parse_image(spec)
            images = [i for i in images if i.get("name") != entry["name"]] + [entry]
        k["images"] = images
    if opts.common_labels:
        if opts.label_without_selector:
            labels = k.setdefault("labels", []) or []
            labels.append({"pairs": dict(opts.common_labels), "includeSelectors": False})
            k["labels"] = labels
        else:
            _merge_map(k, "commonLabels", opts.common_labels, opts.force_common_labels)
    if opts.common_annotations:
        values = dict(opts.common_annotations)
        if opts.common_annotations_envsubst:
            values = {n: _envsubst(v, env) for n, v in values.items()}
        _merge_map(k, "commonAnnotations", values, opts.force_common_annotations)
    if opts.namespace:
        k["namespace"] = opts.namespace
    if opts.replicas:
        replicas = [r for r in k.get("replicas") or [] if isinstance(r, dict)]
        for r in opts.replicas:
            wanted: dict[str, Any] = {"name": r.name, "count": r.int_count()}
            replicas = [x for x in replicas if x.get("name") != r.name] + [wanted]
        k["replicas"] = replicas
    if opts.patches:
        patches = list(k.get("patches") or [])
        for p in opts.patches:
            if p.path:
                resolve_in_root(root, p.path, "kustomize.patches path", base=app_dir)
            patches.append({key: v for key, v in p.to_dict().items() if v not in (None, "", {})})
        k["patches"] = patches
    if opts.components:
        components = list(k.get("components") or [])
        for comp in opts.components:
            if not _is_remote(comp):
                target = resolve_in_root(root, comp, "kustomize.components", base=app_dir)
                if not target.exists():
                    if opts.ignore_missing_components:
                        warnings.append(f"kustomize component {comp!r} not found; ignored")
                        continue
                    raise RenderError(f"kustomize component {comp!r} not found at {relative(root, target)}")
            if comp not in components:
                components.append(comp)
        k["components"] = components
    return warnings


def _origin_file(obj: dict[str, Any], app_dir: Path, root: Path, strip: bool) -> str:
    meta = obj.get("metadata") or {}
    annotations = meta.get("annotations") or {}
    origin = annotations.get(ORIGIN)
    if strip and ORIGIN in annotations:
        del annotations[ORIGIN]
        if not annotations:
            meta.pop("annotations", None)
    if not isinstance(origin, str):
        return ""
    try:
        data = yamlbounds.load(origin) or {}
    except yaml.YAMLError:
        return ""
    if data.get("repo"):
        return f"{data['repo']}//{data.get('path', '')}"
    path = data.get("path") or data.get("configuredIn")
    if not isinstance(path, str):
        return ""
    return relative(root, Path(os.path.normpath(app_dir / path)))


def render(inp: RenderInput, env: dict[str, str]) -> Rendered:
    out = Rendered(tool="Kustomize")
    kfile = kustomization_file(inp.app_dir)
    if kfile is None:
        raise RenderError(f"no kustomization.yaml at {relative(inp.root, inp.app_dir)}")
    k = _load(kfile, inp.root)
    opts = inp.source.kustomize
    if opts is not None:
        out.warnings += apply_overrides(k, opts, inp.app_dir, inp.root, env)
    build_meta = k.get("buildMetadata") or []
    strip = "originAnnotations" not in build_meta
    if strip:
        k["buildMetadata"] = [*build_meta, "originAnnotations"]
    kfile.write_text(yaml.safe_dump(k, sort_keys=False), encoding="utf-8")
    check_references(inp.root, inp.app_dir, policy=inp.url_policy)
    from argosy.repo.sops import kustomize as sops_kustomize  # SOPS hook (imports this module)

    plan = sops_kustomize.prepare(inp, inp.sops) if inp.sops is not None else None
    root, app_dir = (plan.root, plan.app_dir) if plan else (inp.root, inp.app_dir)
    args = [tools.find("kustomize"), "build", str(app_dir), *shlex.split(inp.ctx.kustomize_build_options)]
    args += plan.args if plan else []
    result = execute.run(
        args,
        cwd=app_dir,
        env={**execute.without_cluster_access(), **env, **(plan.env if plan else {})},
        timeout=inp.exec_timeout,
    )
    if result.returncode != 0:
        stderr = tool_message(result.stderr, root, inp.root)
        raise sops_kustomize.plugin_error(result.stderr) or RenderError(
            f"kustomize build {relative(inp.root, inp.app_dir)} failed: {stderr}"
        )
    parsed = manifests.parse(result.text, f"kustomize build {relative(inp.root, inp.app_dir)}")
    out.warnings += parsed.warnings
    for doc in parsed.documents:
        file = _origin_file(doc.object, app_dir, root, strip)
        prov = Provenance(inp.source_index, file or relative(inp.root, kfile), None, None)
        out.objects.append(RenderedObject(doc.object, prov))
    return out
