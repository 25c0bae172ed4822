"""The enforcer: may this subject do this action on this object? (Casbin, Argo CD's model).

A request is ``(subject, resource, action, object)``. The policy is the
built-in policy, then the user's (``argocd-rbac-cm``), then an optional
runtime policy (an AppProject's roles), all loaded into one Casbin enforcer
with Argo CD's model: a request is allowed when some matching rule allows it
and no matching rule denies it, so within one subject (and the roles it
inherits through ``g`` lines) an explicit ``deny`` wins. The default role
(``policy.default``) is checked first: if it allows, the request is allowed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from functools import cache
from importlib import resources

import casbin
from casbin import persist
from casbin.model import Model

from argosy.server.rbac.config import RBACConfig
from argosy.server.rbac.matching import GLOB, matcher_for
from argosy.server.rbac.policy import PolicyError, PolicyRule, PolicySource, parse_policy

_RUNTIME_CACHE_SIZE = 256
_RESULT_CACHE_SIZE = 65536


@cache
def model_text() -> str:
    """Argo CD's Casbin model (``model.conf``, shipped with the package)."""
    return resources.files("argosy.server.rbac").joinpath("model.conf").read_text(encoding="utf-8")


@cache
def builtin_policy() -> str:
    """The built-in policy: ``role:readonly``, ``role:admin`` and ``g, admin, role:admin``."""
    return resources.files("argosy.server.rbac").joinpath("builtin-policy.csv").read_text(encoding="utf-8")


class _RulesAdapter(persist.Adapter):  # type: ignore[misc]
    """Feeds already-parsed rules to Casbin (policies live in ConfigMaps, not in a Casbin store)."""

    def __init__(self, rules: Iterable[PolicyRule]) -> None:
        self._rules = list(rules)

    def load_policy(self, model: Model) -> None:
        for rule in self._rules:
            model.add_policy(rule.ptype, rule.ptype, list(rule.fields))


class _Compiled:
    """One Casbin enforcer for a fixed policy, with a bounded memo of answers."""

    def __init__(self, rules: list[PolicyRule], match_mode: str) -> None:
        model = Model()
        model.load_model_from_text(model_text())
        self._casbin = casbin.Enforcer(model, _RulesAdapter(rules))
        match = matcher_for(match_mode)
        self._casbin.add_function("globOrRegexMatch", lambda value, pattern: match(str(value), str(pattern)))
        self.grouped: frozenset[str] = frozenset(r.fields[0] for r in rules if r.ptype == "g")
        self._lock = threading.Lock()
        self._memo: OrderedDict[tuple[str, str, str, str], bool] = OrderedDict()

    def enforce(self, sub: str, res: str, act: str, obj: str) -> bool:
        key = (sub, res, act, obj)
        with self._lock:
            hit = self._memo.get(key)
            if hit is not None:
                return hit
            try:
                allowed = bool(self._casbin.enforce(sub, res, act, obj))
            except Exception:  # a policy Casbin cannot evaluate must deny, never crash a request
                allowed = False
            self._memo[key] = allowed
            if len(self._memo) > _RESULT_CACHE_SIZE:
                self._memo.popitem(last=False)
            return allowed


class Enforcer:
    """Answers RBAC questions for one set of settings; cheap to query, rebuild it when settings change.

    ``user_policy`` that does not parse raises :class:`PolicyError` naming each
    bad line, so a broken ``argocd-rbac-cm`` is refused rather than half-loaded.
    A runtime policy (AppProject roles) that does not parse is ignored, as in
    Argo CD, so one broken project cannot lock everyone out.
    """

    def __init__(
        self,
        user_policy: str | Sequence[PolicySource] = "",
        *,
        builtin: str | None = None,
        default_role: str = "",
        match_mode: str = GLOB,
    ) -> None:
        sources = (
            [PolicySource("policy.csv", user_policy)] if isinstance(user_policy, str) else list(user_policy)
        )
        builtin_text = builtin_policy() if builtin is None else builtin
        self._base_rules = parse_policy([PolicySource("builtin-policy.csv", builtin_text), *sources])
        self.default_role = default_role
        self.match_mode = match_mode
        self._lock = threading.Lock()
        self._compiled: OrderedDict[str, _Compiled] = OrderedDict()

    @classmethod
    def from_config(
        cls, config: RBACConfig, *, use_builtin: bool = True, builtin: str | None = None
    ) -> Enforcer:
        """An enforcer for argocd-rbac-cm settings, with the built-in policy unless ``use_builtin`` is off."""
        return cls(
            config.sources,
            builtin=(builtin if use_builtin else ""),
            default_role=config.default_role,
            match_mode=config.match_mode,
        )

    def _for_runtime(self, runtime_policy: str) -> _Compiled:
        with self._lock:
            compiled = self._compiled.get(runtime_policy)
            if compiled is not None:
                self._compiled.move_to_end(runtime_policy)
                return compiled
        rules = self._base_rules
        if runtime_policy:
            try:
                rules = rules + parse_policy([PolicySource("runtime policy", runtime_policy)])
            except PolicyError:
                rules = self._base_rules
        compiled = _Compiled(rules, self.match_mode)
        with self._lock:
            self._compiled[runtime_policy] = compiled
            if len(self._compiled) > _RUNTIME_CACHE_SIZE:
                self._compiled.popitem(last=False)
        return compiled

    def enforce(
        self, subject: str | None, resource: str, action: str, obj: str, runtime_policy: str = ""
    ) -> bool:
        """Default role first, then ``subject`` (None or "" is the anonymous subject)."""
        compiled = self._for_runtime(runtime_policy)
        if self.default_role and compiled.enforce(self.default_role, resource, action, obj):
            return True
        return compiled.enforce(subject or "", resource, action, obj)

    def enforce_subjects(
        self,
        subject: str | None,
        groups: Iterable[str],
        resource: str,
        action: str,
        obj: str,
        runtime_policy: str = "",
    ) -> bool:
        """The subject, then each of its groups that some ``g`` line binds to a role.

        Like Argo CD, a group claim counts only when a ``g, <group>, <role>``
        line names it, so an identity provider cannot grant rights by
        inventing a group whose name happens to appear in a ``p`` line.
        """
        if self.enforce(subject, resource, action, obj, runtime_policy):
            return True
        grouped = self._for_runtime(runtime_policy).grouped
        return any(
            group in grouped and self.enforce(group, resource, action, obj, runtime_policy)
            for group in groups
        )

    def grouped_subjects(self, runtime_policy: str = "") -> frozenset[str]:
        """Subjects that appear first in a ``g`` line (users and groups bound to roles)."""
        return self._for_runtime(runtime_policy).grouped
