"""Project roles: RBAC rules an AppProject carries for its own applications.

An AppProject's ``spec.roles[]`` each have a name, ``policies`` (``p`` lines
whose subject is ``proj:<project>:<role>``), ``groups`` (SSO groups bound to
the role) and ``jwtTokens`` (the project tokens issued for the role). When a
request concerns a project (an application ``<project>/<app>``, or the
project itself), the project's rules are added to the policy for that
request only.

A project role may only speak about its own project: a rule whose subject is
another role, whose resource is not project-scoped, or whose object is not
``<project>/...`` is dropped (and reported by :func:`project_policy_problems`),
so a project admin cannot grant themselves rights elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from argosy.server.rbac.policy import PolicyError, parse_policy_line
from argosy.server.rbac.resources import PROJECT_SCOPED, RESOURCE_PROJECTS

_VALID_ACTIONS = {"get", "create", "update", "delete", "sync", "override", "rollback", "*"}
_ACTION_WITH_PATH = re.compile(r"^(action|update|delete)/.+$")
_BAD_GROUP_CHARS = re.compile(r"[\"\n\r\t]")


def project_role_subject(project: str, role: str) -> str:
    return f"proj:{project}:{role}"


def parse_project_subject(subject: str) -> tuple[str, str] | None:
    """``(project, role)`` for a ``proj:<project>:<role>`` subject, else None."""
    parts = subject.split(":")
    if len(parts) == 3 and parts[0] == "proj":
        return parts[1], parts[2]
    return None


def project_from_request(resource: str, obj: str) -> str:
    """The project a request concerns: the first segment of a project-scoped object, or a project's name."""
    if resource in PROJECT_SCOPED:
        head, sep, _ = obj.partition("/")
        return head if sep else ""
    if resource == RESOURCE_PROJECTS:
        return obj
    return ""


@dataclass(frozen=True)
class ProjectPolicyProblem:
    project: str
    role: str
    policy: str
    reason: str

    def __str__(self) -> str:
        return (
            f"AppProject {self.project!r} spec.roles[{self.role!r}].policies: {self.reason}: {self.policy!r}"
        )


def _policy_problem(project: str, role: str, policy: str) -> str | None:
    try:
        rule = parse_policy_line(policy, f"AppProject {project} role {role}")
    except PolicyError as err:
        return err.problems[0].reason
    if rule is None:
        return None
    if rule.ptype != "p":
        return "only 'p, <subject>, <resource>, <action>, <object>, <allow|deny>' rules are allowed"
    sub, res, act, obj, eft = rule.fields
    expected = project_role_subject(project, role)
    if sub != expected:
        return f"policy subject must be '{expected}', not '{sub}'"
    if res not in PROJECT_SCOPED:
        return f"project resource must be one of {', '.join(sorted(PROJECT_SCOPED))}, not '{res}'"
    if act not in _VALID_ACTIONS and not _ACTION_WITH_PATH.match(act):
        return f"invalid action '{act}'"
    if not re.fullmatch(rf"{re.escape(project)}/([*\w.-]+/)?[*\w.-]+", obj):
        return (
            f"object must be '{project}/*', '{project}/<app>' or '{project}/<namespace>/<app>', not '{obj}'"
        )
    if eft not in ("allow", "deny"):
        return f"effect must be 'allow' or 'deny', not '{eft}'"
    return None


def _group_problem(group: str) -> str | None:
    name = group.strip()
    if len(name) > 1 and name.startswith('"') and name.endswith('"'):
        name = name[1:-1]
    elif "," in name:
        return "a group containing ',' must be quoted"
    if not name:
        return "group is empty"
    if _BAD_GROUP_CHARS.search(name):
        return "group contains a quote, tab or newline"
    return None


def _roles(project: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    roles = (project.get("spec") or {}).get("roles") or []
    return [r for r in roles if isinstance(r, Mapping) and isinstance(r.get("name"), str)]


def _project_name(project: Mapping[str, Any]) -> str:
    return str((project.get("metadata") or {}).get("name") or "")


def project_policy_problems(project: Mapping[str, Any]) -> list[ProjectPolicyProblem]:
    """Every role policy or group of the AppProject that Argosy refuses (and so ignores)."""
    name = _project_name(project)
    problems: list[ProjectPolicyProblem] = []
    for role in _roles(project):
        for policy in role.get("policies") or []:
            reason = _policy_problem(name, role["name"], str(policy))
            if reason:
                problems.append(ProjectPolicyProblem(name, role["name"], str(policy), reason))
        for group in role.get("groups") or []:
            reason = _group_problem(str(group))
            if reason:
                problems.append(ProjectPolicyProblem(name, role["name"], f"group {group}", reason))
    return problems


def project_policy(project: Mapping[str, Any]) -> str:
    """The runtime policy of an AppProject: each role may get its project, plus its valid rules and groups."""
    name = _project_name(project)
    if not name:
        return ""
    lines: list[str] = []
    for role in _roles(project):
        subject = project_role_subject(name, role["name"])
        lines.append(f"p, {subject}, {RESOURCE_PROJECTS}, get, {name}, allow")
        for policy in role.get("policies") or []:
            if _policy_problem(name, role["name"], str(policy)) is None:
                lines.append(str(policy).strip())
        for group in role.get("groups") or []:
            if _group_problem(str(group)) is None:
                lines.append(f"g, {str(group).strip()}, {subject}")
    return "\n".join(lines)


def project_token_exists(project: Mapping[str, Any], role: str, token_id: str, issued_at: int | None) -> bool:
    """Whether a project token (by ``jti``, or by ``iat`` for old tokens) is still listed for the role.

    Deleting a token from the AppProject revokes it: its JWT still verifies,
    but the enforcer no longer honours it.
    """
    status_items = (((project.get("status") or {}).get("jwtTokensByRole") or {}).get(role) or {}).get("items")
    items: list[Any] = list(status_items or [])
    for r in _roles(project):
        if r["name"] == role:
            items.extend(r.get("jwtTokens") or [])
    for item in items:
        if not isinstance(item, Mapping):
            continue
        if token_id:
            if item.get("id") == token_id:
                return True
        elif issued_at is not None and item.get("iat") == issued_at:
            return True
    return False
