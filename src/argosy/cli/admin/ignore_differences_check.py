"""``argosy admin settings resource-overrides ignore-differences FILE --argocd-cm-path CM``.

Shows which fields of a saved object the system-wide ignoreDifferences of an
``argocd-cm`` (``resource.customizations`` and ``resource.compareoptions``)
would leave out of diffs, as ``argocd admin settings resource-overrides
ignore-differences`` does: the removed fields as a diff of the object before
and after, plus their JSON pointers. No cluster and no server are needed.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

import typer
import yaml

from argosy.engine.diff import DiffConfig, IgnoreRule, IgnoreRuleLimitError, JqRunner, apply_rules, matching
from argosy.engine.diff.managedfields import manager_fields, remove_owned
from argosy.engine.diff.normalize import prune_empty
from argosy.engine.diff.objects import describe
from argosy.engine.diff.result import walk
from argosy.sandbox.jq_pool import bounded_jq
from argosy.settings.resource_customizations import load_configmap_file


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=1)


def _load_objects(path: Path) -> list[dict[str, Any]]:
    try:
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    except (OSError, yaml.YAMLError) as exc:
        raise _fail(f"cannot read {path}: {exc}") from exc
    objects = [d for d in docs if isinstance(d, dict) and d.get("kind")]
    if not objects or len(objects) != len(docs):
        raise _fail(f"{path}: expected Kubernetes objects (YAML mappings with apiVersion and kind)")
    return objects


def _ignored(obj: dict[str, Any], rules: list[IgnoreRule], jq: JqRunner | None) -> dict[str, Any]:
    out = apply_rules(obj, rules, jq=jq)
    managers = frozenset(m for r in rules for m in r.managed_fields_managers)
    for tree in manager_fields(obj, managers):
        out = remove_owned(out, tree)
    pruned: dict[str, Any] = prune_empty(out)
    return pruned


def _yaml(obj: dict[str, Any]) -> list[str]:
    return yaml.safe_dump(obj, sort_keys=False, default_flow_style=False).splitlines(keepends=True)


def _report(obj: dict[str, Any], config: DiffConfig) -> dict[str, Any]:
    rules = matching(config.ignore_rules, obj)
    normalized = _ignored(obj, rules, config.jq)
    ignored = [c.path for c in walk(prune_empty(obj), normalized)]
    return {"object": describe(obj), "rules": rules, "normalized": normalized, "ignored": ignored}


def _print_text(obj: dict[str, Any], report: dict[str, Any]) -> None:
    kind_name = f"{obj.get('kind')}/{(obj.get('metadata') or {}).get('name', '')}"
    rules: list[IgnoreRule] = report["rules"]
    if not rules:
        typer.echo(f"No overrides configured for '{kind_name}'")
        return
    if not report["ignored"]:
        sources = "; ".join(sorted({r.source for r in rules}))
        typer.echo(f"No fields are ignored by ignoreDifferences settings ({sources}) for '{kind_name}'")
        return
    typer.echo(f"Following fields of '{kind_name}' are ignored:\n")
    for line in difflib.unified_diff(
        _yaml(obj), _yaml(report["normalized"]), kind_name, f"{kind_name} (normalized)"
    ):
        typer.echo(line, nl=not line.endswith("\n"))
    typer.echo("\nIgnored JSON pointers:")
    for pointer in report["ignored"]:
        typer.echo(f"  {pointer}")


def ignore_differences(
    file: Path = typer.Argument(..., help="YAML file with the object(s) to check."),
    argocd_cm_path: Path = typer.Option(..., "--argocd-cm-path", help="Path to a saved argocd-cm ConfigMap."),
    output: str = typer.Option("text", "--output", "-o", help="text or json."),
) -> None:
    """Show which fields argocd-cm's ignoreDifferences leave out of diffs for an object."""
    if output not in ("text", "json"):
        raise _fail(f"--output must be text or json, got {output!r}")
    try:
        config = DiffConfig.build(load_configmap_file(argocd_cm_path), jq=bounded_jq())
    except ValueError as exc:
        raise _fail(f"{argocd_cm_path}: {exc}") from exc
    objects = _load_objects(file)
    try:
        reports = [(obj, _report(obj, config)) for obj in objects]
    except IgnoreRuleLimitError as exc:
        raise _fail(str(exc)) from exc
    if output == "json":
        payload = [
            {
                "file": str(file),
                "object": r["object"],
                "rules": sorted({rule.source for rule in r["rules"]}),
                "ignored": r["ignored"],
                "normalized": r["normalized"],
            }
            for _, r in reports
        ]
        typer.echo(json.dumps(payload, indent=2))
        return
    for i, (obj, report) in enumerate(reports):
        if i:
            typer.echo("")
        _print_text(obj, report)
