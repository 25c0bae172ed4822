"""The git generator: one parameter set per matching directory, or per item of matching JSON/YAML files.

Directories: ``path``, ``path.basename``, ``path.basenameNormalized`` and
``path[n]`` (Go templates: ``.path.path``, ``.path.basename``,
``.path.segments``); globs are Go ``path.Match`` (``*`` stays within one
directory), and an ``exclude: true`` item removes whatever it matches
wherever it is written. Files: the file's keys (flattened with dots for
fasttemplate) plus the same path parameters for the file's directory and
``path.filename``. ``pathParamPrefix: p`` moves them under ``p.``.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import yaml

from argosy.appset.generators.context import GenerateContext, GeneratorError
from argosy.appset.gotemplate.execute import go_format
from argosy.appset.names import normalize
from argosy.appset.params import Params, with_values
from argosy.engine import yamlbounds
from argosy.engine.glob import glob_match


@lru_cache(maxsize=512)
def _doublestar(pattern: str) -> re.Pattern[str]:
    """doublestar's dialect: ``**`` spans directories (also none), ``*`` and ``?`` stay within one."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


@lru_cache(maxsize=512)
def _go_path_match(pattern: str) -> re.Pattern[str] | None:
    """Go's ``path.Match``: ``*`` and ``?`` never cross ``/``; ``[...]`` classes; ``\\`` escapes."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                return None
            body = pattern[i + 1 : end]
            negate = body.startswith("^")
            body = body[1:] if negate else body
            out.append("[" + ("^" if negate else "") + body.replace("\\", "\\\\") + "]")
            i = end
        else:
            out.append(re.escape(c))
        i += 1
    try:
        return re.compile("".join(out) + r"\Z")
    except re.error:
        return None


def _dir_match(pattern: str, path: str) -> bool:
    regex = _go_path_match(pattern)
    return regex is not None and regex.match(path) is not None


def _file_match(pattern: str, path: str, new_globbing: bool) -> bool:
    if new_globbing:
        return _doublestar(pattern).match(path) is not None
    # git ls-files pathspec: '*' also matches '/'
    return glob_match(pattern, path)


def _path_params(directory: str, prefix: str, go_template: bool, filename: str | None) -> Params:
    segments = [s for s in directory.split("/") if s] if directory not in ("", ".") else []
    base = posixpath.basename(directory)
    nested: dict[str, Any] = {
        "path": directory,
        "basename": base,
        "basenameNormalized": normalize(base),
        "segments": segments,
    }
    if filename is not None:
        nested["filename"] = filename
        nested["filenameNormalized"] = normalize(filename)
    if go_template:
        return {prefix: {"path": nested}} if prefix else {"path": nested}
    head = f"{prefix}.path" if prefix else "path"
    flat: Params = {
        head: directory,
        f"{head}.basename": base,
        f"{head}.basenameNormalized": nested["basenameNormalized"],
    }
    if filename is not None:
        flat[f"{head}.filename"] = filename
        flat[f"{head}.filenameNormalized"] = nested["filenameNormalized"]
    for i, seg in enumerate(segments):
        flat[f"{head}[{i}]"] = seg
    return flat


def _flatten_file(value: Any, prefix: str, out: Params) -> None:
    if isinstance(value, Mapping):
        for k, v in value.items():
            _flatten_file(v, f"{prefix}.{k}" if prefix else str(k), out)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _flatten_file(v, f"{prefix}.{i}" if prefix else str(i), out)
    else:
        out[prefix] = value if isinstance(value, str) else go_format(value)


def _parse(text: str) -> Any:
    """JSON first (it allows tabs, YAML does not), else YAML, as Argo CD reads both."""
    try:
        return yamlbounds.load_json(text)
    except json.JSONDecodeError:
        return yamlbounds.load(text)


def _check_project(ctx: GenerateContext) -> None:
    project = ctx.template_project
    if ctx.app_projects is None or "{{" in project:
        return
    if project not in ctx.app_projects:
        raise GeneratorError(
            f"git generator: the template's project {project!r} does not exist; create the AppProject "
            "or fix template.spec.project"
        )


def generate_git(spec: Mapping[str, Any], ctx: GenerateContext) -> list[Params]:
    repo = str(spec.get("repoURL") or "")
    revision = str(spec.get("revision") or "")
    if ctx.git is None:
        raise GeneratorError(f"git generator ({repo}): no Git access configured")
    _check_project(ctx)
    prefix = str(spec.get("pathParamPrefix") or "")
    go = ctx.renderer.go_template
    values = spec.get("values") or {}
    if spec.get("directories"):
        items = spec["directories"]
        out: list[Params] = []
        for directory in ctx.git.directories(repo, revision):
            included = any(_dir_match(i["path"], directory) for i in items if not i.get("exclude"))
            excluded = any(_dir_match(i["path"], directory) for i in items if i.get("exclude"))
            if included and not excluded:
                out.append(with_values(_path_params(directory, prefix, go, None), values, ctx.renderer))
        return out
    if spec.get("files"):
        return _generate_files(repo, revision, spec["files"], prefix, values, ctx)
    raise GeneratorError(f"git generator ({repo}): set directories or files")


def _generate_files(
    repo: str, revision: str, items: list[Mapping[str, Any]], prefix: str, values: Any, ctx: GenerateContext
) -> list[Params]:
    assert ctx.git is not None
    files = ctx.git.files(repo, revision)
    new = ctx.new_git_file_globbing
    selected = sorted(
        path
        for path in files
        if any(_file_match(i["path"], path, new) for i in items if not i.get("exclude"))
        and not any(_file_match(i["path"], path, new) for i in items if i.get("exclude"))
    )
    go = ctx.renderer.go_template
    out: list[Params] = []
    for path in selected:
        text = ctx.git.read(repo, revision, path).decode("utf-8", errors="replace")
        try:
            data = _parse(text)
        except yaml.YAMLError as exc:
            raise GeneratorError(
                f"git generator ({repo}): unable to parse file {path} at {revision or 'HEAD'}: {exc}"
            ) from None
        if data is None:
            entries: list[Any] = [{}]
        elif isinstance(data, list):
            entries = data
        elif isinstance(data, Mapping):
            entries = [data]
        else:
            raise GeneratorError(
                f"git generator ({repo}): file {path} must hold a YAML/JSON object or list of objects"
            )
        directory = posixpath.dirname(path)
        for entry in entries:
            if not isinstance(entry, Mapping):
                raise GeneratorError(f"git generator ({repo}): file {path}: list items must be objects")
            params: Params = dict(entry) if go else {}
            if not go:
                _flatten_file(entry, "", params)
            params.update(_path_params(directory, prefix, go, posixpath.basename(path)))
            out.append(with_values(params, values, ctx.renderer))
    return out
