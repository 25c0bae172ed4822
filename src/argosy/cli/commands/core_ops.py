"""Requests ``--core`` writes itself: sync and rollback operations, password changes.

These follow the server's rules so a user sees the same refusals with or
without it: a manual sync is checked against the project's sync windows
(``manualSync`` lets it through a deny window), a rollback is refused while
automated sync would undo it, and a new password must match
``passwordPattern`` and is stored as a bcrypt hash in ``argocd-secret``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from argosy.cli.commands.backend import CliError, Obj
from argosy.engine.syncwindows import SyncWindows


def _source(app: Obj) -> Obj:
    spec = app.get("spec") or {}
    if isinstance(spec.get("source"), dict):
        return dict(spec["source"])
    sources = spec.get("sources") or []
    return dict(sources[0]) if sources and isinstance(sources[0], dict) else {}


def _initiated_by() -> Obj:
    return {"username": "kubernetes (--core)"}


def operation_for_sync(app: Obj, project: Obj, request: Obj, now: datetime) -> Obj:
    """The ``operation`` to write for a manual sync, or a CliError saying why it may not start."""
    name = app["metadata"]["name"]
    decision = SyncWindows.from_project(project).matches(app).decide(now, manual=True)
    if not decision.allowed:
        raise CliError(f"cannot sync application '{name}': blocked by sync window ({decision.reason})")
    if (app.get("metadata") or {}).get("deletionTimestamp"):
        raise CliError(f"application '{name}' is being deleted")
    policy = (app.get("spec") or {}).get("syncPolicy") or {}
    target = str(_source(app).get("targetRevision") or "")
    revision = str(request.get("revision") or "")
    if policy.get("automated") is not None and revision and revision != (target or "HEAD"):
        raise CliError(
            f"Cannot sync to {revision}: auto-sync currently set to {target or 'HEAD'} "
            "(disable automated sync to sync another revision)"
        )
    sync: Obj = {
        "revision": revision or target,
        "prune": bool(request.get("prune")),
        "dryRun": bool(request.get("dryRun")),
    }
    options = (request.get("syncOptions") or {}).get("items") or policy.get("syncOptions")
    if options:
        sync["syncOptions"] = list(options)
    for src, dst in (("strategy", "syncStrategy"), ("resources", "resources")):
        if request.get(src):
            sync[dst] = request[src]
    operation: Obj = {"sync": sync, "initiatedBy": _initiated_by()}
    retry = request.get("retryStrategy") or policy.get("retry")
    if retry:
        operation["retry"] = retry
    return operation


def operation_for_rollback(app: Obj, history_id: int, prune: bool, dry_run: bool) -> Obj:
    name = app["metadata"]["name"]
    policy = (app.get("spec") or {}).get("syncPolicy") or {}
    history = (app.get("status") or {}).get("history") or []
    entry = next((h for h in history if isinstance(h, dict) and int(h.get("id", -1)) == history_id), None)
    if entry is None:
        known = ", ".join(str(h.get("id")) for h in history if isinstance(h, dict)) or "none"
        raise CliError(f"application {name} does not have deployment with id {history_id} (known: {known})")
    sync: Obj = {
        "revision": entry.get("revision", ""),
        "prune": prune,
        "dryRun": dry_run,
        "syncStrategy": {"apply": {}},
    }
    if entry.get("source"):
        sync["source"] = entry["source"]
    if policy.get("syncOptions"):
        sync["syncOptions"] = list(policy["syncOptions"])
    return {"sync": sync, "initiatedBy": _initiated_by()}


def password_update(name: str, account: Any, current: str, new: str, cm: dict[str, str]) -> dict[str, str]:
    """The ``argocd-secret`` entries that set ``name``'s password (after checking the current one)."""
    from argosy.server.auth.accounts import format_mtime, secret_keys
    from argosy.server.auth.passwords import PasswordError, check_new_password, hash_password, verify_password

    if account.password_hash and not verify_password(current, account.password_hash):
        raise CliError(f"current password of account '{name}' does not match")
    try:
        check_new_password(new, cm.get("passwordPattern", ""))
        hashed = hash_password(new)
    except PasswordError as exc:
        raise CliError(str(exc)) from None
    pw_key, mtime_key, _ = secret_keys(name)
    return {pw_key: hashed, mtime_key: format_mtime(datetime.now(UTC))}
