"""What a diff tells its caller: modified or not, and which fields differ where."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from argosy.engine.diff.lists import index_by, merge_key
from argosy.engine.diff.objects import Path, to_pointer
from argosy.engine.diff.quantity import scalars_equal


class _Missing:
    """Marks a field absent on one side (distinct from an explicit ``null``)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()


@dataclass(frozen=True)
class FieldChange:
    """One field that differs. ``path`` is a JSON pointer (``/spec/replicas``);
    ``desired`` or ``live`` is None when the field is absent on that side."""

    path: str
    desired: Any
    live: Any


@dataclass
class DiffResult:
    """The outcome of comparing one desired object with its live counterpart.

    ``normalized_desired`` is the desired object after normalisation and
    ignore rules; ``predicted_live`` is what the live object would be after
    applying it (the right-hand side to show against ``normalized_live``).
    Secret values are masked in every field when the object is a Secret.
    """

    modified: bool
    changes: list[FieldChange] = field(default_factory=list)
    normalized_desired: dict[str, Any] | None = None
    normalized_live: dict[str, Any] | None = None
    predicted_live: dict[str, Any] | None = None
    mode: str = "structural"


def _plain(value: Any) -> Any:
    return None if value is MISSING else value


def walk(desired: Any, live: Any, path: Path = ()) -> list[FieldChange]:
    """Every field where ``desired`` and ``live`` differ, as JSON pointers.

    Lists with a merge key are matched by key, so an element's path is its index
    in the live list (or in the desired list when it is new).
    """
    out: list[FieldChange] = []
    _walk(desired, live, path, out)
    return out


def _walk(desired: Any, live: Any, path: Path, out: list[FieldChange]) -> None:
    if isinstance(desired, dict) and isinstance(live, dict):
        for key in [*desired, *(k for k in live if k not in desired)]:
            _walk(desired.get(key, MISSING), live.get(key, MISSING), (*path, key), out)
        return
    if isinstance(desired, list) and isinstance(live, list):
        field_name = path[-1] if path else None
        key = merge_key(field_name, desired, live)
        if key is not None:
            live_idx = index_by(live, key)
            desired_idx = index_by(desired, key)
            for k, di in desired_idx.items():
                if k in live_idx:
                    li = live_idx[k]
                    _walk(desired[di], live[li], (*path, li), out)
                else:
                    out.append(FieldChange(to_pointer((*path, di)), desired[di], None))
            for k, li in live_idx.items():
                if k not in desired_idx:
                    out.append(FieldChange(to_pointer((*path, li)), None, live[li]))
            return
        if len(desired) == len(live):
            for i, (d, lv) in enumerate(zip(desired, live, strict=True)):
                _walk(d, lv, (*path, i), out)
            return
        out.append(FieldChange(to_pointer(path), desired, live))
        return
    if desired is MISSING and live is MISSING:
        return
    if desired is MISSING or live is MISSING or not _leaf_equal(desired, live, path):
        out.append(FieldChange(to_pointer(path), _plain(desired), _plain(live)))


def _leaf_equal(a: Any, b: Any, path: Path) -> bool:
    if isinstance(a, dict | list) or isinstance(b, dict | list):
        return False
    return scalars_equal(a, b, path)
