"""Server-side apply field ownership (``metadata.managedFields``, ``FieldsV1``).

Two features need to know who owns a field: ``managedFieldsManagers`` in
ignoreDifferences (fields an HPA or another trusted controller owns never count
as drift) and the server-side diff (a field that Argosy's field manager does
not own was added by a webhook or the server, not by Git).

A ``FieldsV1`` set is a tree: ``f:<name>`` is a map field, ``k:<json>`` a list
element picked by its key fields, ``v:<json>`` a value of a set-like list,
``i:<n>`` a list position, and ``.`` the node itself.
"""

from __future__ import annotations

import json
from typing import Any

FieldSet = dict[str, Any]


def manager_fields(obj: dict[str, Any] | None, managers: set[str] | frozenset[str]) -> list[FieldSet]:
    """The ``fieldsV1`` trees of the ``managedFields`` entries written by ``managers``."""
    if not obj or not managers:
        return []
    meta = obj.get("metadata")
    entries = meta.get("managedFields") if isinstance(meta, dict) else None
    if not isinstance(entries, list):
        return []
    return [
        e["fieldsV1"]
        for e in entries
        if isinstance(e, dict)
        and isinstance(e.get("manager"), str)
        and e["manager"] in managers
        and isinstance(e.get("fieldsV1"), dict)
    ]


def _element_matches(item: Any, selector: str) -> bool:
    kind, _, raw = selector.partition(":")
    try:
        wanted = json.loads(raw)
    except ValueError:
        return False
    if kind == "k":
        return (
            isinstance(item, dict)
            and isinstance(wanted, dict)
            and all(str(item.get(k)) == str(v) for k, v in wanted.items())
        )
    if kind == "v":
        return bool(item == wanted)
    return False


def _children(tree: FieldSet) -> dict[str, Any]:
    return {k: v for k, v in tree.items() if k != "."}


def remove_owned(obj: Any, tree: FieldSet) -> Any:
    """A copy of ``obj`` without the leaf fields ``tree`` owns."""
    if isinstance(obj, dict):
        out = dict(obj)
        for selector, sub in _children(tree).items():
            if not selector.startswith("f:"):
                continue
            name = selector[2:]
            if name not in out:
                continue
            sub_children = _children(sub) if isinstance(sub, dict) else {}
            if not sub_children:
                del out[name]
            else:
                out[name] = remove_owned(out[name], sub)
        return out
    if isinstance(obj, list):
        items = list(obj)
        drop: set[int] = set()
        for selector, sub in _children(tree).items():
            sub_children = _children(sub) if isinstance(sub, dict) else {}
            for i, item in enumerate(items):
                if selector.startswith("i:"):
                    hit = selector[2:].isdigit() and int(selector[2:]) == i
                else:
                    hit = _element_matches(item, selector)
                if not hit:
                    continue
                if sub_children:
                    items[i] = remove_owned(item, sub)
                else:
                    drop.add(i)
        return [item for i, item in enumerate(items) if i not in drop]
    return obj


def owns(tree: FieldSet, obj: Any, pointer_path: list[str] | tuple[str | int, ...]) -> bool:
    """Whether ``tree`` owns the field at ``pointer_path`` of ``obj``, or a field inside it.

    List positions in ``pointer_path`` are resolved against ``obj`` to find the
    element's key.
    """
    node: Any = tree
    current = obj
    for step in pointer_path:
        if not isinstance(node, dict):
            return False
        if isinstance(current, list) and str(step).isdigit():
            index = int(step)
            if index >= len(current):
                return False
            item = current[index]
            nxt = next(
                (
                    sub
                    for sel, sub in _children(node).items()
                    if (sel.startswith("i:") and sel[2:] == str(index))
                    or (not sel.startswith(("f:", "i:")) and _element_matches(item, sel))
                ),
                None,
            )
            current = item
        else:
            nxt = node.get(f"f:{step}")
            current = current.get(str(step)) if isinstance(current, dict) else None
        if nxt is None:
            return False
        node = nxt
    return True


def owned_subset(obj: Any, tree: FieldSet) -> Any:
    """The part of ``obj`` that ``tree`` owns: what that manager last applied.

    Server-side apply keeps no last-applied annotation; this stands in for it,
    so a field removed from Git but still owned by Argosy is seen as removed.
    """
    if isinstance(obj, dict):
        out: dict[str, Any] = {}
        for selector, sub in _children(tree).items():
            name = selector[2:]
            if not selector.startswith("f:") or name not in obj:
                continue
            sub_children = _children(sub) if isinstance(sub, dict) else {}
            out[name] = owned_subset(obj[name], sub) if sub_children else obj[name]
        return out
    if isinstance(obj, list):
        items: list[Any] = []
        for i, item in enumerate(obj):
            for selector, sub in _children(tree).items():
                if selector.startswith("i:"):
                    hit = selector[2:] == str(i)
                else:
                    hit = _element_matches(item, selector)
                if not hit:
                    continue
                sub_children = _children(sub) if isinstance(sub, dict) else {}
                part = owned_subset(item, sub) if sub_children else item
                if selector.startswith("k:") and isinstance(part, dict) and isinstance(item, dict):
                    keys = json.loads(selector[2:])
                    part = {**{k: item[k] for k in keys if k in item}, **part}
                items.append(part)
                break
        return items
    return obj
