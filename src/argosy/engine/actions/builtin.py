"""Argosy's built-in resource actions, written in Lua as Argo CD's are, keyed by ``group/Kind``.

They behave as Argo CD's built-ins of the same names (restart stamps
``kubectl.kubernetes.io/restartedAt`` on the pod template, as
``kubectl rollout restart`` does; create-job mimics ``kubectl create job --from``),
so a policy or a UI habit carries over unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

_RESTART = """
local os = require("os")
local template = obj.spec.template
if template.metadata == nil then template.metadata = {} end
if template.metadata.annotations == nil then template.metadata.annotations = {} end
template.metadata.annotations["kubectl.kubernetes.io/restartedAt"] = os.date("!%Y-%m-%dT%XZ")
return obj
"""

_RESTART_ONLY_DISCOVERY = """
return { restart = { iconClass = "fa fa-fw fa-redo" } }
"""

_DEPLOYMENT_DISCOVERY = """
local paused = obj.spec.paused == true
return {
  restart = { iconClass = "fa fa-fw fa-redo" },
  pause = { disabled = paused, iconClass = "fa fa-fw fa-pause-circle" },
  resume = { disabled = not paused, iconClass = "fa fa-fw fa-play-circle" },
}
"""

_SET_FIELD = """
obj.spec.{field} = {value}
return obj
"""

_CRONJOB_DISCOVERY = """
local actions = { ["create-job"] = { iconClass = "fa fa-fw fa-plus", displayName = "Create Job" } }
if obj.spec.suspend == true then
  actions["resume"] = { iconClass = "fa fa-fw fa-play" }
else
  actions["suspend"] = { iconClass = "fa fa-fw fa-pause" }
end
return actions
"""

_CREATE_JOB = """
local os = require("os")
-- Empty tables would come back as lists, so they are left out of the copy.
local function copy(v)
  if type(v) ~= "table" then return v end
  if next(v) == nil then return nil end
  local c = {}
  for k, x in pairs(v) do c[k] = copy(x) end
  return c
end
local template = obj.spec.jobTemplate or {}
local meta = copy(template.metadata) or {}
meta.name = obj.metadata.name .. "-" .. os.date("!%y%m%d%H%M")
meta.namespace = obj.metadata.namespace
meta.annotations = meta.annotations or {}
meta.annotations["cronjob.kubernetes.io/instantiate"] = "manual"
meta.ownerReferences = { {
  apiVersion = obj.apiVersion, kind = obj.kind, name = obj.metadata.name, uid = obj.metadata.uid,
  blockOwnerDeletion = true, controller = true,
} }
local job = { apiVersion = "batch/v1", kind = "Job", metadata = meta, spec = copy(template.spec) }
return { { operation = "create", resource = job } }
"""


@dataclass(frozen=True)
class BuiltinActions:
    """One kind's discovery script and the script of each action it may offer."""

    discovery_lua: str
    actions: dict[str, str] = field(default_factory=dict)


BUILTIN: dict[str, BuiltinActions] = {
    "apps/Deployment": BuiltinActions(
        _DEPLOYMENT_DISCOVERY,
        {
            "restart": _RESTART,
            "pause": _SET_FIELD.format(field="paused", value="true"),
            "resume": _SET_FIELD.format(field="paused", value="nil"),
        },
    ),
    "apps/StatefulSet": BuiltinActions(_RESTART_ONLY_DISCOVERY, {"restart": _RESTART}),
    "apps/DaemonSet": BuiltinActions(_RESTART_ONLY_DISCOVERY, {"restart": _RESTART}),
    "batch/CronJob": BuiltinActions(
        _CRONJOB_DISCOVERY,
        {
            "create-job": _CREATE_JOB,
            "suspend": _SET_FIELD.format(field="suspend", value="true"),
            "resume": _SET_FIELD.format(field="suspend", value="false"),
        },
    ),
}
