"""Resource actions: named operations a user runs on one live object of an app.

As in Argo CD, each kind may offer actions (a Deployment: restart, pause,
resume; a StatefulSet or DaemonSet: restart; a CronJob: create-job, suspend or
resume). A Lua *discovery* script sees the live object as ``obj`` and returns
the actions on offer, each possibly ``disabled`` (resume on a running
Deployment) with an ``iconClass`` and ``displayName`` for the UI. Running an
action runs its Lua script on the object: it returns either the changed object
(applied as a patch) or a list of ``{operation = "patch"|"create", resource = ...}``
(create-job creates a Job).

Kinds get built-in actions (:mod:`.builtin`); ``argocd-cm``
``resource.customizations.actions.<group_kind>`` adds or replaces them with
``discovery.lua`` and ``definitions`` (``mergeBuiltinActions: true`` keeps the
built-ins). Scripts run in the same sandbox and limits as Lua health checks.
This package is pure: the server reads the object, enforces RBAC
(``applications, action/<group>/<kind>/<name>``) and writes the result.
"""

from argosy.engine.actions.run import (
    ActionError,
    ImpactedResource,
    ResourceAction,
    discover_actions,
    run_action,
)

__all__ = ["ActionError", "ImpactedResource", "ResourceAction", "discover_actions", "run_action"]
