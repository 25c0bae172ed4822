"""Offline policy checks behind ``argosy admin settings rbac can`` and ``validate``.

Lets an operator try a policy before rolling out ``argocd-rbac-cm``: same
enforcer, same built-in policy, no server. Mirrors ``argocd admin settings
rbac can``: the resource may be a short name (``app``, ``proj``, ``repo``…),
strict mode refuses resource/action pairs Argosy never checks, and for
project-scoped resources an object of ``*`` or nothing means ``*/*``.
"""

from __future__ import annotations

from dataclasses import dataclass

from argosy.server.rbac.config import RBACConfig
from argosy.server.rbac.enforcer import Enforcer, builtin_policy
from argosy.server.rbac.policy import PolicyRule, PolicySource, parse_policy
from argosy.server.rbac.resources import PROJECT_SCOPED, resolve_resource_name, resource_action_error


class RequestError(ValueError):
    """The question itself is malformed (strict mode): unknown resource or action."""


@dataclass(frozen=True)
class CanResult:
    allowed: bool
    resource: str
    obj: str
    warnings: tuple[str, ...] = ()


def normalise_object(resource: str, obj: str) -> str:
    """``*`` or empty becomes ``*/*`` for project-scoped resources, as the Argo CD CLI does."""
    if resource in PROJECT_SCOPED and obj in ("", "*"):
        return "*/*"
    return obj


def _looks_like_group(subject: str) -> bool:
    return ":" in subject and not subject.startswith(("role:", "proj:"))


def unenforced_group_grant_warning(subject: str, rules: list[PolicyRule]) -> str | None:
    """Warn when a group gets permissions from ``p`` lines but no ``g`` line binds it.

    The CLI checks the subject directly and answers Yes, but the server only
    evaluates group claims that appear in a ``g`` line, so members of that
    group would be denied.
    """
    if not _looks_like_group(subject):
        return None
    has_grant = any(r.ptype == "p" and r.fields[0] == subject for r in rules)
    has_binding = any(r.ptype == "g" and r.fields[0] == subject for r in rules)
    if has_grant and not has_binding:
        return (
            f"'{subject}' looks like an SSO group with direct 'p' permissions but no 'g, {subject}, <role>' "
            "binding: the server ignores such grants for group members. Bind the group to a role and "
            "give the role the permissions."
        )
    return None


def can(
    config: RBACConfig,
    subject: str,
    action: str,
    resource: str,
    obj: str = "",
    *,
    default_role: str = "",
    use_builtin: bool = True,
    strict: bool = True,
    builtin: str | None = None,
) -> CanResult:
    """Answer ``rbac can`` (note: ACTION before RESOURCE, as the CLI takes them).

    ``default_role`` overrides ``policy.default`` from the config when given.
    Raises :class:`RequestError` in strict mode for an unknown resource or
    action and ``PolicyError`` for a policy that does not parse.
    """
    real_resource = resolve_resource_name(resource)
    if strict:
        problem = resource_action_error(real_resource, action)
        if problem:
            raise RequestError(problem)
    builtin_text = (builtin_policy() if builtin is None else builtin) if use_builtin else ""
    enforcer = Enforcer(
        config.sources,
        builtin=builtin_text,
        default_role=default_role or config.default_role,
        match_mode=config.match_mode,
    )
    real_obj = normalise_object(real_resource, obj)
    allowed = enforcer.enforce(subject, real_resource, action, real_obj)
    rules = parse_policy([PolicySource("builtin-policy.csv", builtin_text), *config.sources])
    warning = unenforced_group_grant_warning(subject, rules)
    return CanResult(allowed, real_resource, real_obj, (warning,) if warning else ())
