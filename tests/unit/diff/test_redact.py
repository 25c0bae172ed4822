"""Secret values never leave the engine, yet differences stay visible."""

from __future__ import annotations

import base64
import json
from typing import Any

from argosy.engine.diff import diff, hash_secret_values

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
M8, M12, M16 = "+" * 8, "+" * 12, "+" * 16


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def secret(data: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"}, "type": "Opaque"}
    if data is not None:
        obj["data"] = data
    obj.update(extra)
    return obj


def every_string(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [str(k), *every_string(v)]]
    if isinstance(value, list):
        return [s for v in value for s in every_string(v)]
    return [str(value)]


def leaks(result: Any, *secrets: str) -> list[str]:
    texts = every_string(
        [result.normalized_desired, result.normalized_live, result.predicted_live]
        + [[c.desired, c.live] for c in result.changes]
    )
    return [s for s in secrets for t in texts if s in t]


def test_changed_value_is_reported_masked() -> None:
    desired = secret({"password": b64("hunter2"), "user": b64("admin")})
    live = secret({"password": b64("hunter3"), "user": b64("admin")})
    result = diff(desired, live)
    assert result.modified
    assert [(c.path, c.desired, c.live) for c in result.changes] == [("/data/password", M8, M12)]
    assert result.normalized_desired["data"] == {"password": M8, "user": M8}  # type: ignore[index]
    assert result.normalized_live["data"] == {"password": M12, "user": M8}  # type: ignore[index]
    assert not leaks(result, b64("hunter2"), b64("hunter3"), b64("admin"))


def test_string_data_is_masked_too() -> None:
    desired = secret(stringData={"token": "s3cr3t"})
    live = secret({"token": b64("other")})
    result = diff(desired, live)
    assert result.modified
    assert not leaks(result, "s3cr3t", b64("s3cr3t"), b64("other"))


def test_last_applied_annotation_is_masked() -> None:
    applied = secret({"password": b64("old-one")})
    live = secret({"password": b64("new-one")})
    live["metadata"]["annotations"] = {LAST_APPLIED: json.dumps(applied)}
    result = diff(secret({"password": b64("new-one")}), live)
    assert not result.modified
    inner = json.loads(result.normalized_live["metadata"]["annotations"][LAST_APPLIED])  # type: ignore[index]
    assert inner["data"] == {"password": M12}  # desired and live share M8
    assert not leaks(result, b64("old-one"), b64("new-one"))


def test_new_secret_is_masked() -> None:
    result = diff(secret({"k": b64("v")}), None)
    assert result.modified
    assert result.changes[0].desired["data"] == {"k": M8}
    assert not leaks(result, b64("v"))


def test_redacted_non_base64_values_do_not_crash() -> None:
    result = diff(secret({"k": "++++****"}), secret({"k": "not base64 at all!"}))
    assert result.modified
    assert result.changes[0].path == "/data/k"


def test_null_data_values_equal_empty() -> None:
    assert not diff(secret({"k": ""}), secret({"k": None})).modified
    assert not diff(secret(None), secret({})).modified


def test_non_secrets_are_left_readable() -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "v1"}}
    live = {**cm, "data": {"k": "v2"}}
    assert [(c.desired, c.live) for c in diff(cm, live).changes] == [("v1", "v2")]


def test_hashed_secrets_still_compare() -> None:
    a = hash_secret_values(secret({"k": b64("one")}, stringData={"s": "two"}))
    b = hash_secret_values(secret({"k": b64("one"), "s": b64("two")}))
    c = hash_secret_values(secret({"k": b64("three"), "s": b64("two")}))
    assert a == b
    assert a != c
    assert b64("one") not in json.dumps(a)
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "data": {"k": "v"}}
    assert hash_secret_values(cm) is cm


def test_hashing_a_hashed_secret_changes_nothing() -> None:
    # The live cache and the dry-run cache both hand out hashed Secrets; the comparison
    # hashes what it gets once more. A second hash made every synced Secret OutOfSync.
    applied = json.dumps(secret(stringData={"s": "two"}))
    live = secret({"k": b64("one"), "e": ""}, metadata={"name": "db", "annotations": {LAST_APPLIED: applied}})
    once = hash_secret_values(live)
    assert hash_secret_values(once) == once
    assert not diff(hash_secret_values(once), once).modified
