"""``app diff`` and ``app manifests`` output: field-level changes and YAML documents.

A diff is shown per resource, as ``argocd app diff`` does (``===== group/Kind
namespace/name ======`` headers, ``<`` for live and ``>`` for desired), but
field by field (a JSON pointer per changed field) rather than as a line
diff of two YAML dumps, so server defaults never drown the change. Secret
values are masked on both sides whatever the source of the states.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from argosy.cli.commands.backend import Obj
from argosy.engine.diff import diff as structural_diff
from argosy.engine.diff.redact import MASK, mask_secret
from argosy.engine.diff.result import walk


def _value(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return "<absent>" if value is None else json.dumps(value)


def changes_of(item: Obj) -> list[Obj]:
    """The field changes of a managed-resources item.

    As ``argocd app diff``: the live object as normalised by the diff engine
    against the live object it predicts after a sync; the target and live
    states only when a server sent neither.
    """
    if isinstance(item.get("diff"), list):
        return list(item["diff"])
    predicted, normalized = item.get("predictedLiveState"), item.get("normalizedLiveState")
    if isinstance(predicted, dict) and isinstance(normalized, dict):
        return [{"path": c.path, "desired": c.desired, "live": c.live} for c in walk(predicted, normalized)]
    target, live = item.get("targetState"), item.get("liveState")
    if target is None and live is None:
        return []
    result = structural_diff(target, live)
    return [{"path": c.path, "desired": c.desired, "live": c.live} for c in result.changes]


def header(item: Obj) -> str:
    kind = f"{item.get('group')}/{item.get('kind')}" if item.get("group") else f"/{item.get('kind')}"
    where = f"{item.get('namespace')}/{item.get('name')}" if item.get("namespace") else str(item.get("name"))
    return f"===== {kind} {where} ======"


def diff_text(items: list[Obj]) -> tuple[str, bool]:
    """The text to print and whether anything differs."""
    out: list[str] = []
    different = False
    for item in items:
        if item.get("hook"):
            continue
        secret = item.get("kind") == "Secret"
        changes = changes_of(item)
        status = "OutOfSync" if item.get("modified") else item.get("status")
        if item.get("targetState") is None and item.get("liveState") is not None and status == "OutOfSync":
            different = True
            out += [header(item), "< (live object not in Git: it would be pruned)", ""]
            continue
        if item.get("liveState") is None and item.get("targetState") is not None:
            different = True
            out += [header(item), "> (missing from the cluster: it would be created)", ""]
            continue
        if not changes:
            if status == "OutOfSync" and "targetState" not in item:
                different = True
                out += [header(item), "(OutOfSync; the server sent no states to compare)", ""]
            continue
        different = True
        out.append(header(item))
        for c in changes:
            live = MASK if secret and c.get("live") is not None else _value(c.get("live"))
            desired = MASK if secret and c.get("desired") is not None else _value(c.get("desired"))
            out += [f"@@ {c['path']} @@", f"< {live}", f"> {desired}"]
        out.append("")
    return "\n".join(out).rstrip("\n"), different


def manifests_text(objects: list[Obj]) -> str:
    docs = [yaml.safe_dump(mask_secret(o), sort_keys=False).rstrip("\n") for o in objects if o]
    return "\n---\n".join(docs)
