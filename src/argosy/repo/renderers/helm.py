"""Helm sources: ``helm template`` with the Application's values and the destination's versions.

Arguments follow Argo CD: ``--name-template`` (``releaseName``, default the app
name), ``--namespace``, ``--kube-version`` and ``--api-versions`` of the
destination, value files in order then ``values``/``valuesObject`` (which
wins) as a file, ``--set``/``--set-string`` parameters, ``--set-file`` file
parameters and ``--include-crds`` unless ``skipCrds``. Value files are
relative to the chart; ``$name/path`` reads from the source with ``ref: name``
(multi-source); http(s) value files need the project's permission. Helm's
home directories are private to Argosy so a user's ``helm repo add`` never
changes a render. ``helm dependency build`` runs when declared dependencies
are missing from ``charts/``.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import yaml

from argosy.repo import execute, manifests, tools
from argosy.repo.errors import ManifestParseError, PathNotFoundError, RemoteValueFileError, RenderError
from argosy.repo.paths import relative, resolve_in_root, tool_message
from argosy.repo.renderers import Rendered, RenderInput
from argosy.repo.result import Provenance, RenderedObject
from argosy.repo.sops.hooks import helm_value_file

_SOURCE = re.compile(r"^# Source: (.+)$", re.MULTILINE)
_REMOTE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


def helm_env(helm_home: Path, extra: dict[str, str], config_home: Path | None = None) -> dict[str, str]:
    """Helm's environment: shared chart/index cache, per-render config (repositories, registry auth).

    No kubeconfig and no in-cluster variables, and ``$HOME`` (where ``~/.kube/config`` would be
    looked up) is the private helm directory: ``lookup`` in a template sees no cluster.
    """
    env = {k: v for k, v in execute.without_cluster_access().items() if not k.startswith("HELM_")}
    env.update(
        HOME=str(helm_home),
        HELM_CACHE_HOME=str(helm_home / "cache"),
        HELM_CONFIG_HOME=str(config_home or helm_home / "config"),
        HELM_DATA_HOME=str(helm_home / "data"),
        **extra,
    )
    return env


def clean_set_value(value: str) -> str:
    """Escape commas as Argo CD does, except in ``{a,b}`` list syntax."""
    if value.startswith("{") and value.endswith("}"):
        return value
    return re.sub(r"(?<!\\),", r"\\,", value)


def envsubst(value: str, env: dict[str, str]) -> str:
    return re.sub(
        r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)",
        lambda m: env.get(m.group(1) or m.group(2), m.group(0)),
        value,
    )


def _chart_meta(chart_dir: Path, root: Path) -> dict[str, Any]:
    path = chart_dir / "Chart.yaml"
    if not path.is_file():
        raise PathNotFoundError(f"{relative(root, chart_dir)}: no Chart.yaml")
    meta = manifests.load_file(path, relative(root, path)) or {}
    if not isinstance(meta, dict):
        raise ManifestParseError(f"{relative(root, path)}: Chart.yaml must be a YAML object")
    req = chart_dir / "requirements.yaml"
    if not meta.get("dependencies") and req.is_file():
        requirements = manifests.load_file(req, relative(root, req))
        meta["dependencies"] = requirements.get("dependencies") if isinstance(requirements, dict) else None
    return meta


def missing_dependencies(chart_dir: Path, meta: dict[str, Any]) -> list[dict[str, Any]]:
    deps = [d for d in meta.get("dependencies") or [] if isinstance(d, dict) and d.get("name")]
    charts = chart_dir / "charts"
    present = {p.name for p in charts.iterdir()} if charts.is_dir() else set()
    missing = []
    for d in deps:
        name = str(d["name"])
        if name in present or any(p.startswith(f"{name}-") and p.endswith(".tgz") for p in present):
            continue
        missing.append(d)
    return missing


def _value_file(inp: RenderInput, chart_dir: Path, spec: str, env: dict[str, str]) -> str | None:
    value_file = envsubst(spec, env)
    if _REMOTE.match(value_file):
        if not inp.ctx.allow_remote_value_files:
            raise RemoteValueFileError(
                f"value file {value_file!r} is a remote URL; the project does not allow remote value files"
            )
        inp.url_policy.check(value_file, "remote value file")
        return value_file
    if value_file.startswith("$"):
        name, _, rest = value_file[1:].partition("/")
        if name not in inp.refs:
            raise RenderError(f"value file {value_file!r}: no source with ref: {name!r}")
        target = resolve_in_root(inp.refs[name], rest, f"value file {value_file!r}")
    else:
        target = resolve_in_root(inp.root, value_file, "value file", base=chart_dir)
    if not target.is_file():
        if inp.source.helm is not None and inp.source.helm.ignore_missing_value_files:
            return None
        raise PathNotFoundError(
            f"value file {value_file!r} not found (set ignoreMissingValueFiles to skip it)"
        )
    return str(target)


def template_args(
    inp: RenderInput, chart_dir: Path, env: dict[str, str], work: Path
) -> tuple[list[str], list[str]]:
    opts = inp.source.helm
    warnings: list[str] = []
    release = (opts.release_name if opts else "") or inp.ctx.app_name
    namespace = (opts.namespace if opts else "") or inp.ctx.namespace
    kube_version = (opts.kube_version if opts else "") or inp.ctx.kube_version
    api_versions = (opts.api_versions if opts and opts.api_versions else ()) or inp.ctx.api_versions
    args = [tools.find("helm"), "template", ".", "--name-template", release]
    if namespace:
        args += ["--namespace", namespace]
    if kube_version:
        args += ["--kube-version", kube_version]
    for api in api_versions:
        args += ["--api-versions", api]
    if opts is not None:
        for spec in opts.value_files:
            resolved = _value_file(inp, chart_dir, spec, env)
            if resolved is None:
                warnings.append(f"value file {spec!r} not found; ignored (ignoreMissingValueFiles)")
            else:  # SOPS hook: an opted-in encrypted value file is given to helm decrypted
                args += ["--values", helm_value_file(resolved, spec, inp.sops, inp.work_dir)]
        inline: str | None = None
        if opts.values_object is not None:
            inline = json.dumps(opts.values_object)
        elif opts.values:
            inline = opts.values
        if inline is not None:
            path = work / "inline-values.yaml"
            path.write_text(inline, encoding="utf-8")
            args += ["--values", str(path)]
        for p in opts.parameters:
            flag = "--set-string" if p.force_string else "--set"
            args += [flag, f"{p.name}={clean_set_value(envsubst(p.value, env))}"]
        for fp in opts.file_parameters:
            target = resolve_in_root(inp.root, envsubst(fp.path, env), "fileParameters path", base=chart_dir)
            if not target.is_file():
                raise PathNotFoundError(f"fileParameters {fp.name!r}: file {fp.path!r} not found")
            args += ["--set-file", f"{fp.name}={target}"]
        if opts.skip_tests:
            args.append("--skip-tests")
        if opts.skip_schema_validation:
            args.append("--skip-schema-validation")
    if not (opts and opts.skip_crds):
        args.append("--include-crds")
    return args, warnings


def split_output(text: str, chart_name: str, chart_rel: str, source_index: int) -> Rendered:
    """Objects of ``helm template`` output, each with the template file it came from."""
    out = Rendered(tool="Helm")
    per_file: dict[str, int] = {}
    for chunk in re.split(r"^---[ \t]*$", text, flags=re.MULTILINE):
        if not chunk.strip():
            continue
        m = _SOURCE.search(chunk)
        template = m.group(1).strip() if m else ""
        if template.startswith(chart_name + "/"):
            template = template[len(chart_name) + 1 :]
        file = f"{chart_rel}/{template}".lstrip("./") if template else chart_rel
        parsed = manifests.parse(chunk, file or "helm template")
        out.warnings += parsed.warnings
        for doc in parsed.documents:
            index = per_file.get(file, 0)
            per_file[file] = index + 1
            out.objects.append(RenderedObject(doc.object, Provenance(source_index, file, index, None)))
    return out


def dependency_repositories(chart_dir: Path, root: Path) -> list[str]:
    """http(s) repositories of the chart's missing dependencies (they need a repositories.yaml entry)."""
    meta = _chart_meta(chart_dir, root)
    return sorted(
        {
            str(d.get("repository"))
            for d in missing_dependencies(chart_dir, meta)
            if _http(d.get("repository"))
        }
    )


def _http(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://"))


def render(
    inp: RenderInput, env: dict[str, str], helm_home: Path, dep_repos: list[dict[str, Any]]
) -> Rendered:
    """``dep_repos``: repositories.yaml entries (with credential file paths) for dependencies."""
    chart_dir = inp.app_dir
    meta = _chart_meta(chart_dir, inp.root)
    assert inp.work_dir is not None
    config_home = inp.work_dir / "helm-config"
    config_home.mkdir(mode=0o700, exist_ok=True)
    penv = helm_env(helm_home, env, config_home)
    chart_rel = relative(inp.root, chart_dir)
    if missing_dependencies(chart_dir, meta):
        for dep in meta.get("dependencies") or []:
            repo = str(dep.get("repository") or "")
            if repo.startswith("file://"):
                resolve_in_root(inp.root, repo[len("file://") :], "dependency repository", base=chart_dir)
            elif _REMOTE.match(repo):  # helm dependency build fetches it: the same policy as sources
                inp.url_policy.check(repo, f"dependency {dep.get('name')!r} repository")
        if dep_repos:
            repos_file = config_home / "repositories.yaml"
            fd = os.open(repos_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                yaml.safe_dump(
                    {"apiVersion": "", "generated": "0001-01-01T00:00:00Z", "repositories": dep_repos}, fh
                )
        build = [tools.find("helm"), "dependency", "build", "."]
        result = execute.run(build, cwd=chart_dir, env=penv, timeout=inp.exec_timeout)
        if result.returncode != 0:
            raise RenderError(
                f"helm dependency build {chart_rel} failed: {tool_message(result.stderr, inp.root)}"
            )
    args, warnings = template_args(inp, chart_dir, env, inp.work_dir)
    result = execute.run(args, cwd=chart_dir, env=penv, timeout=inp.exec_timeout)
    if result.returncode != 0:
        raise RenderError(f"helm template {chart_rel} failed: {tool_message(result.stderr, inp.root)}")
    out = split_output(result.text, str(meta.get("name") or chart_dir.name), chart_rel, inp.source_index)
    out.warnings = warnings + out.warnings
    return out
