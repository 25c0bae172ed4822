"""The RBAC vocabulary: resources, actions, and which objects are "<project>/<name>".

Policies are free text, so a typo such as ``application`` (for ``applications``)
silently grants nothing. The tables here let the CLI's strict mode and policy
linting name such mistakes, with the same resource/action pairs Argo CD accepts.
"""

from __future__ import annotations

RESOURCE_CLUSTERS = "clusters"
RESOURCE_PROJECTS = "projects"
RESOURCE_APPLICATIONS = "applications"
RESOURCE_APPLICATIONSETS = "applicationsets"
RESOURCE_REPOSITORIES = "repositories"
RESOURCE_WRITE_REPOSITORIES = "write-repositories"
RESOURCE_CERTIFICATES = "certificates"
RESOURCE_ACCOUNTS = "accounts"
RESOURCE_GPGKEYS = "gpgkeys"
RESOURCE_LOGS = "logs"
RESOURCE_EXEC = "exec"
RESOURCE_EXTENSIONS = "extensions"

ACTION_GET = "get"
ACTION_CREATE = "create"
ACTION_UPDATE = "update"
ACTION_DELETE = "delete"
ACTION_SYNC = "sync"
ACTION_OVERRIDE = "override"
ACTION_ROLLBACK = "rollback"
ACTION_ACTION = "action"
ACTION_INVOKE = "invoke"

RESOURCES: tuple[str, ...] = (
    RESOURCE_CLUSTERS,
    RESOURCE_PROJECTS,
    RESOURCE_APPLICATIONS,
    RESOURCE_APPLICATIONSETS,
    RESOURCE_REPOSITORIES,
    RESOURCE_WRITE_REPOSITORIES,
    RESOURCE_CERTIFICATES,
    RESOURCE_ACCOUNTS,
    RESOURCE_GPGKEYS,
    RESOURCE_LOGS,
    RESOURCE_EXEC,
    RESOURCE_EXTENSIONS,
)

ACTIONS: tuple[str, ...] = (
    ACTION_GET,
    ACTION_CREATE,
    ACTION_UPDATE,
    ACTION_DELETE,
    ACTION_SYNC,
    ACTION_OVERRIDE,
    ACTION_ROLLBACK,
    ACTION_ACTION,
    ACTION_INVOKE,
)

#: Resources whose RBAC object is ``<project>/<name>`` (or ``<project>/<namespace>/<name>``).
PROJECT_SCOPED: frozenset[str] = frozenset(
    {
        RESOURCE_APPLICATIONS,
        RESOURCE_APPLICATIONSETS,
        RESOURCE_LOGS,
        RESOURCE_EXEC,
        RESOURCE_CLUSTERS,
        RESOURCE_REPOSITORIES,
    }
)

# action -> whether "action/<path>" is meaningful (update/<group>/<kind>/..., action/<group>/<kind>/<name>)
_CRUD = {ACTION_CREATE: False, ACTION_GET: False, ACTION_UPDATE: False, ACTION_DELETE: False}
_CRD = {ACTION_CREATE: False, ACTION_GET: False, ACTION_DELETE: False}
_APPLICATIONS = {
    ACTION_CREATE: False,
    ACTION_GET: False,
    ACTION_UPDATE: True,
    ACTION_DELETE: True,
    ACTION_ACTION: True,
    ACTION_OVERRIDE: False,
    ACTION_SYNC: False,
    ACTION_ROLLBACK: False,
}

VALID_ACTIONS: dict[str, dict[str, bool]] = {
    RESOURCE_ACCOUNTS: {ACTION_CREATE: False, ACTION_UPDATE: False},
    RESOURCE_APPLICATIONS: _APPLICATIONS,
    RESOURCE_APPLICATIONSETS: _CRUD,
    RESOURCE_CERTIFICATES: _CRD,
    RESOURCE_CLUSTERS: _CRUD,
    RESOURCE_EXTENSIONS: {ACTION_INVOKE: False},
    RESOURCE_GPGKEYS: _CRD,
    RESOURCE_LOGS: {ACTION_GET: False},
    RESOURCE_EXEC: {ACTION_CREATE: False},
    RESOURCE_PROJECTS: _CRUD,
    RESOURCE_REPOSITORIES: _CRUD,
    RESOURCE_WRITE_REPOSITORIES: _CRUD,
}

# Short names the CLI accepts for resources, as ``argocd admin settings rbac can`` does.
RESOURCE_ALIASES: dict[str, str] = {
    "account": RESOURCE_ACCOUNTS,
    "app": RESOURCE_APPLICATIONS,
    "apps": RESOURCE_APPLICATIONS,
    "application": RESOURCE_APPLICATIONS,
    "applicationsets": RESOURCE_APPLICATIONSETS,
    "applicationset": RESOURCE_APPLICATIONSETS,
    "appset": RESOURCE_APPLICATIONSETS,
    "appsets": RESOURCE_APPLICATIONSETS,
    "cert": RESOURCE_CERTIFICATES,
    "certs": RESOURCE_CERTIFICATES,
    "certificate": RESOURCE_CERTIFICATES,
    "cluster": RESOURCE_CLUSTERS,
    "extension": RESOURCE_EXTENSIONS,
    "gpgkey": RESOURCE_GPGKEYS,
    "key": RESOURCE_GPGKEYS,
    "log": RESOURCE_LOGS,
    "logs": RESOURCE_LOGS,
    "exec": RESOURCE_EXEC,
    "proj": RESOURCE_PROJECTS,
    "projs": RESOURCE_PROJECTS,
    "project": RESOURCE_PROJECTS,
    "repo": RESOURCE_REPOSITORIES,
    "repos": RESOURCE_REPOSITORIES,
    "repository": RESOURCE_REPOSITORIES,
}


def resolve_resource_name(name: str) -> str:
    """The canonical resource for a user-typed name (``app`` -> ``applications``); unknown names unchanged."""
    return RESOURCE_ALIASES.get(name, name)


def resource_action_error(resource: str, action: str) -> str | None:
    """Why ``resource``/``action`` is not a pair Argosy ever enforces, or None when it is.

    ``action`` may carry a path (``action/apps/Deployment/restart``,
    ``update/apps/Deployment/default/web``) only where the action allows one.
    """
    actions = VALID_ACTIONS.get(resource)
    if actions is None:
        known = ", ".join(sorted(VALID_ACTIONS))
        return f"'{resource}' is not a valid resource name (valid resources: {known})"
    verb, sep, _ = action.partition("/")
    allows_path = actions.get(verb)
    if allows_path is None or (sep and not allows_path):
        known = ", ".join(f"{a}/*" if p else a for a, p in sorted(actions.items()))
        return f"'{action}' is not a valid action for {resource} (valid actions: {known})"
    return None


def app_rbac_object(project: str, name: str, namespace: str = "", control_plane_namespace: str = "") -> str:
    """The RBAC object of an Application: ``<project>/<name>``, or ``<project>/<namespace>/<name>``
    when the Application lives outside the control plane's namespace (apps-in-any-namespace).
    """
    if not namespace or not control_plane_namespace or namespace == control_plane_namespace:
        return f"{project}/{name}"
    return f"{project}/{namespace}/{name}"
