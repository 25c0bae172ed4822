"""What the operation runner needs from the world, as small typed interfaces.

The runner never imports a Kubernetes client or the reconciler: the
application controller hands it a :class:`ClusterPort` (write and read objects
of the destination cluster) and an :class:`AppPort` (write the Application's
status, re-read its operation phase, record events), plus a
:class:`RunnerConfig` (clock, sleep, health overrides, wave delay). Tests pass
in-memory fakes; :mod:`argosy.controller.operation.kubeport` adapts the real
cluster client.

Errors: a port method that fails raises an exception whose ``str()`` names the
object and the reason (the runner copies it into the sync result). An
exception with ``status == 404`` (or ``not_found`` true) means "not found" and
``status == 409`` (or ``already_exists``/``conflict`` true) "already exists",
as :class:`argosy.kube.errors.KubeApiError` does.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

from argosy.engine.sync import ApplyMode, PropagationPolicy
from argosy.engine.tracking import TrackingSettings
from argosy.model.constants import DEFAULT_NAMESPACE
from argosy.settings.resource_customizations import ResourceOverride

WAVE_DELAY_ENV = "ARGOCD_SYNC_WAVE_DELAY"
DEFAULT_WAVE_DELAY_SECONDS = 2.0
DEFAULT_POLL_SECONDS = 1.0


class ClusterPort(Protocol):
    """Writes and reads objects of the destination cluster.

    Objects are plain dicts (``apiVersion``, ``kind``, ``metadata.name``,
    ``metadata.namespace`` for namespaced kinds). Every write takes ``dry_run``:
    ``True`` means a server-side dry run (``dryRun=All``) that validates and
    admits the object without storing it. Each write returns a short message
    for the sync result, e.g. ``"configmap/web created"``.
    """

    def apply(
        self,
        obj: Mapping[str, Any],
        *,
        mode: ApplyMode,
        dry_run: bool,
        force: bool,
        validate: bool,
        live: Mapping[str, Any] | None = None,
    ) -> str:
        """``kubectl apply`` (``mode`` client-side, with last-applied) or server-side apply.

        ``live`` is the object as the comparison saw it: the message says, as kubectl does,
        whether the object was ``created``, ``configured`` or left ``unchanged``."""
        ...

    def create(self, obj: Mapping[str, Any], *, dry_run: bool, validate: bool) -> str:
        """Create (POST) the object; raises (409) when it exists."""
        ...

    def replace(self, obj: Mapping[str, Any], *, dry_run: bool, force: bool, update_in_place: bool) -> str:
        """Replace (PUT) the object. ``update_in_place``: PUT with the live resourceVersion,
        never delete-and-recreate (CRDs and Namespaces). ``force``: delete and recreate
        when the PUT is rejected (``Replace=true,Force=true``)."""
        ...

    def delete(
        self,
        obj: Mapping[str, Any],
        *,
        propagation: PropagationPolicy,
        uid: str | None = None,
        resource_version: str | None = None,
    ) -> None:
        """Delete the object with the propagation policy; an object already gone is not an error.

        ``uid``: only that incarnation (a 409 when the object was re-created meanwhile);
        ``resource_version``: only that version (a 409 when it changed since it was read).
        The runner never calls this directly: :func:`~.ownership.delete_owned` checks first
        that the application owns the object."""
        ...

    def get(self, obj: Mapping[str, Any]) -> dict[str, Any] | None:
        """The live object (fresh from the API server or a watch cache), None when it does not exist."""
        ...


@runtime_checkable
class BatchClusterPort(ClusterPort, Protocol):
    """A :class:`ClusterPort` that can client-side apply many objects in one call.

    The runner uses it for the plain ``kubectl apply`` writes of one kind group
    (one ``kubectl`` process instead of one per object); ports without it get
    one :meth:`ClusterPort.apply` call per object.
    """

    def apply_many(
        self,
        objs: Sequence[Mapping[str, Any]],
        *,
        force: bool,
        validate: bool,
        lives: Sequence[Mapping[str, Any] | None] = (),
    ) -> list[str | Exception]:
        """Client-side apply each object; per object, in order: its message or its error
        (``lives``: each object as the comparison saw it, as for :meth:`ClusterPort.apply`)."""
        ...


class AppPort(Protocol):
    """The Application the operation belongs to."""

    def patch_status(self, partial_status: Mapping[str, Any], *, clear_operation: bool = False) -> None:
        """Merge ``partial_status`` into ``.status`` (keys ``operationState``, ``history``).

        With ``clear_operation`` the same write removes ``.operation``: the
        operation is complete (Argo CD clears it in the same patch)."""
        ...

    def operation_phase(self) -> str | None:
        """``status.operationState.phase`` as stored now (re-read, not cached): a user's
        ``terminate-op`` sets ``Terminating`` there."""
        ...

    def emit_event(self, reason: str, message: str, type_: str = "Normal") -> None:
        """Record a Kubernetes Event on the Application (``type_`` Normal or Warning)."""
        ...


def utc_now() -> datetime:
    return datetime.now(UTC)


def wave_delay_from_env(environ: Mapping[str, str] | None = None) -> float:
    """Seconds between waves: ``ARGOCD_SYNC_WAVE_DELAY`` (as Argo CD), default 2.

    A value that is not a non-negative number is reported by raising, naming
    the variable, so a typo does not silently change every sync."""
    env = os.environ if environ is None else environ
    text = env.get(WAVE_DELAY_ENV, "").strip()
    if not text:
        return DEFAULT_WAVE_DELAY_SECONDS
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value < 0:
        raise ValueError(
            f"environment variable {WAVE_DELAY_ENV}={text!r} is not a number of seconds; "
            "set it to e.g. 2 (or unset it for the default of 2 s)"
        )
    return value


@dataclass(frozen=True)
class RunnerConfig:
    """Knobs of the runner; everything time-related is injectable for tests."""

    clock: Callable[[], datetime] = utc_now
    sleep: Callable[[float], None] = time.sleep
    overrides: Mapping[str, ResourceOverride] = field(default_factory=dict)
    """``resource.customizations`` health overrides (``ControllerSettings.overrides``)."""
    wave_delay: float = field(default_factory=wave_delay_from_env)
    poll_interval: float = DEFAULT_POLL_SECONDS
    """How often a wave's resources and hooks are re-read while waiting."""
    wait_timeout: float | None = None
    """Give up waiting for one wave (or a deletion) after this many seconds; None waits until
    the operation is terminated, as Argo CD does."""
    tracking: TrackingSettings = field(default_factory=TrackingSettings)
    """How objects are tracked (``argocd-cm``): decides which live objects the app may delete."""
    control_plane_namespace: str = DEFAULT_NAMESPACE
    """Apps outside it are tracked as ``<namespace>_<name>``."""


def error_status(exc: BaseException) -> int:
    """The HTTP status an exception from a port carries (0 when none)."""
    status = getattr(exc, "status", 0)
    if isinstance(status, int) and status:
        return status
    if getattr(exc, "not_found", False) is True:
        return 404
    if getattr(exc, "already_exists", False) is True or getattr(exc, "conflict", False) is True:
        return 409
    return 0


def is_not_found(exc: BaseException) -> bool:
    return error_status(exc) == 404


def is_already_exists(exc: BaseException) -> bool:
    return error_status(exc) == 409


def is_conflict(exc: BaseException) -> bool:
    """A precondition (UID, resourceVersion) did not hold: the object changed meanwhile."""
    return error_status(exc) == 409
