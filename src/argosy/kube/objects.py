"""How live objects are identified and what of them is kept in memory.

The cache holds every object of a cluster, so it keeps them *lean*:

* ``metadata.managedFields`` is dropped except the entries of the managers the
  caller names (by default Argosy's own ``argosy-controller``): the server-side
  diff needs to know which fields Argosy owns in live, nothing else does, and
  managed fields are often the largest part of an object. Callers that honour
  ``managedFieldsManagers`` in ``ignoreDifferences`` add those managers.
* Secret ``data``/``stringData`` values are replaced by SHA-256 digests (the
  same digests the diff engine computes for desired Secrets), so a changed
  value is still seen as a change but no secret is kept in clear.

Everything else (spec, status, labels, annotations including
``last-applied-configuration``, ownerReferences) is kept: diff and health need it.
"""

from __future__ import annotations

from typing import Any

from argosy.engine.diff.redact import hash_secret_values

ARGOSY_FIELD_MANAGER = "argosy-controller"
DEFAULT_KEPT_MANAGERS: frozenset[str] = frozenset({ARGOSY_FIELD_MANAGER})


def lean(obj: dict[str, Any], keep_managers: frozenset[str] | None = DEFAULT_KEPT_MANAGERS) -> dict[str, Any]:
    """``obj`` as the cache stores it (may reuse ``obj``'s nested values; never mutates them).

    ``keep_managers=None`` keeps all managed fields.
    """
    meta = obj.get("metadata")
    if isinstance(meta, dict) and "managedFields" in meta and keep_managers is not None:
        kept = [
            entry
            for entry in meta.get("managedFields") or ()
            if isinstance(entry, dict) and entry.get("manager") in keep_managers
        ]
        meta = {k: v for k, v in meta.items() if k != "managedFields"}
        if kept:
            meta["managedFields"] = kept
        obj = {**obj, "metadata": meta}
    if obj.get("kind") == "Secret" and "/" not in str(obj.get("apiVersion") or "v1"):
        obj = hash_secret_values(obj)
    return obj
