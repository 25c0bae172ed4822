"""The resources Argosy itself watches on the control plane, without asking discovery.

Argo CD's CRDs and the core kinds holding settings are served under fixed
group/versions, so the controller, the API server (its streams) and the
ApplicationSet controller describe them here once.
"""

from __future__ import annotations

from argosy.kube.discovery import ApiResource
from argosy.model.constants import GROUP, VERSION

_ARGO_VERBS = frozenset({"get", "list", "watch", "create", "update", "patch", "delete"})

APPLICATIONS = ApiResource(GROUP, VERSION, "Application", "applications", True, _ARGO_VERBS)
APPPROJECTS = ApiResource(GROUP, VERSION, "AppProject", "appprojects", True, _ARGO_VERBS)
APPLICATIONSETS = ApiResource(GROUP, VERSION, "ApplicationSet", "applicationsets", True, _ARGO_VERBS)
CONFIGMAPS = ApiResource("", "v1", "ConfigMap", "configmaps", True, frozenset({"get", "list", "watch"}))
SECRETS = ApiResource("", "v1", "Secret", "secrets", True, frozenset({"get", "list", "watch"}))
