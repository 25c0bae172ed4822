"""The structural three-way merge: what would live look like once desired is applied?

Like ``kubectl apply`` (and gitops-engine's three-way diff), the prediction
starts from the live object and:

* sets every field the desired object sets;
* removes fields the last-applied configuration had and desired no longer has
  (the user deleted them from Git);
* keeps every other live field: the server defaulted it or another controller
  owns it, and desired never claimed it.

Without a last-applied configuration, desired stands in for it (two-way).
"""

from __future__ import annotations

from typing import Any

from argosy.engine.diff.lists import index_by, merge_key
from argosy.engine.diff.objects import Path
from argosy.engine.diff.quantity import scalars_equal
from argosy.engine.diff.result import MISSING


def predict_live(desired: Any, live: Any, last_applied: Any, path: Path = ()) -> Any:
    """The live object after applying ``desired`` over ``live``, given ``last_applied``."""
    if isinstance(desired, dict) and isinstance(live, dict):
        return _merge_maps(desired, live, last_applied, path)
    if isinstance(desired, list) and isinstance(live, list):
        return _merge_lists(desired, live, last_applied, path)
    if (
        live is not MISSING
        and not isinstance(live, dict | list)
        and not isinstance(desired, dict | list)
        and scalars_equal(desired, live, path)
    ):
        return live  # same value spelled differently (1000m vs 1): keep the server's spelling
    return desired


def _merge_maps(desired: dict[str, Any], live: dict[str, Any], orig: Any, path: Path) -> dict[str, Any]:
    orig_map = orig if isinstance(orig, dict) else {}
    out: dict[str, Any] = {}
    for key, live_value in live.items():
        if key in desired:
            out[key] = predict_live(desired[key], live_value, orig_map.get(key, MISSING), (*path, key))
        elif key not in orig_map:
            out[key] = live_value
    for key, value in desired.items():
        if key not in live:
            out[key] = value
    return out


def _merge_lists(desired: list[Any], live: list[Any], orig: Any, path: Path) -> list[Any]:
    field_name = path[-1] if path else None
    key = merge_key(field_name, desired, live)
    if key is not None:
        orig_list = orig if isinstance(orig, list) and merge_key(field_name, orig) == key else []
        orig_idx = index_by(orig_list, key) if orig_list else {}
        desired_idx = index_by(desired, key)
        live_idx = index_by(live, key)
        out: list[Any] = []
        for k, li in live_idx.items():
            if k in desired_idx:
                prev = orig_list[orig_idx[k]] if k in orig_idx else MISSING
                out.append(predict_live(desired[desired_idx[k]], live[li], prev, (*path, li)))
            elif k not in orig_idx:
                out.append(live[li])
        out.extend(desired[di] for k, di in desired_idx.items() if k not in live_idx)
        return out
    if len(desired) == len(live) and all(isinstance(d, dict) for d in desired):
        # An atomic list of objects: the API server fills defaults into each
        # element, so compare element by element rather than replace.
        same_shape = isinstance(orig, list) and len(orig) == len(desired)
        return [
            predict_live(d, lv, orig[i] if same_shape else MISSING, (*path, i))
            for i, (d, lv) in enumerate(zip(desired, live, strict=True))
        ]
    if len(desired) == len(live) and all(
        scalars_equal(d, lv, (*path, i)) for i, (d, lv) in enumerate(zip(desired, live, strict=True))
    ):
        return live
    return desired
