"""RBAC: who may do what, with Argo CD's policy language and built-in roles.

Policies live in ``argocd-rbac-cm`` as CSV lines::

    p, role:guest, applications, get, default/*, allow     # permission
    g, michele, role:guest                                  # michele has role:guest

A request is ``(subject, resource, action, object)``; the object of an
application (and of applicationsets, logs, exec) is ``<project>/<app>``. It is
allowed when a matching rule allows it and no matching rule of the same
subject (or its roles) denies it. ``policy.default`` names a role everyone has;
``role:readonly`` and ``role:admin`` are built in, and the local ``admin`` has
``role:admin``. AppProjects add project roles (``proj:<project>:<role>``)
that only apply to their own project.

Use :class:`Enforcer` (from :func:`config_from_data` of ``argocd-rbac-cm``),
:func:`enforce_claims` for an authenticated caller and :func:`filter_allowed`
for list routes.
"""

from argosy.server.rbac.check import CanResult, RequestError, can, normalise_object
from argosy.server.rbac.claims import (
    ProjectLookup,
    claim_groups,
    claim_subject,
    enforce_claims,
    filter_allowed,
)
from argosy.server.rbac.config import (
    RBACConfig,
    RBACConfigError,
    config_from_configmap,
    config_from_data,
    load_policy_file,
)
from argosy.server.rbac.enforcer import Enforcer, builtin_policy
from argosy.server.rbac.policy import PolicyError, PolicyProblem, PolicySource, validate_policy
from argosy.server.rbac.projects import project_policy, project_policy_problems
from argosy.server.rbac.resources import PROJECT_SCOPED, app_rbac_object, resource_action_error

__all__ = [
    "PROJECT_SCOPED",
    "CanResult",
    "Enforcer",
    "PolicyError",
    "PolicyProblem",
    "PolicySource",
    "ProjectLookup",
    "RBACConfig",
    "RBACConfigError",
    "RequestError",
    "app_rbac_object",
    "builtin_policy",
    "can",
    "claim_groups",
    "claim_subject",
    "config_from_configmap",
    "config_from_data",
    "enforce_claims",
    "filter_allowed",
    "load_policy_file",
    "normalise_object",
    "project_policy",
    "project_policy_problems",
    "resource_action_error",
    "validate_policy",
]
