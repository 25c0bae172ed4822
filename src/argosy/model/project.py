"""The AppProject resource: the guard rails of a group of applications.

A project says which repositories apps may use (``sourceRepos``), where they
may deploy (``destinations``), which kinds they may create (cluster kinds
are denied unless whitelisted), when they may sync (``syncWindows``) and who
may act on them (``roles``). Globs and ``!`` negation are kept as written;
matching them is the job of the controller and server.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from argosy.model.base import View
from argosy.model.constants import API_VERSION, KIND_APP_PROJECT
from argosy.model.destination import ApplicationDestination
from argosy.model.meta import ObjectMeta, check_kind

SYNC_WINDOW_KINDS = ("allow", "deny")


@dataclass
class GroupKind(View):
    """A kind in a resource white/blacklist; ``*`` globs allowed, ``""`` is the core group."""

    _required: ClassVar[tuple[str, ...]] = ("kind",)

    group: str = ""
    kind: str = ""
    name: str = ""


@dataclass
class JWTToken(View):
    """A token issued for a project role (``iat``/``exp`` in Unix seconds); never the token itself."""

    iat: int = 0
    exp: int = 0
    id: str = ""


@dataclass
class ProjectRole(View):
    """A role with Casbin policies, bound to SSO groups and to issued tokens."""

    _required: ClassVar[tuple[str, ...]] = ("name",)

    name: str = ""
    description: str = ""
    policies: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    jwt_tokens: list[JWTToken] = field(default_factory=list)


@dataclass
class SyncWindow(View):
    """When syncs are allowed or denied: a cron ``schedule`` opening a window for ``duration``."""

    kind: str = ""
    schedule: str = ""
    duration: str = ""
    applications: list[str] = field(default_factory=list)
    namespaces: list[str] = field(default_factory=list)
    clusters: list[str] = field(default_factory=list)
    manual_sync: bool = False
    time_zone: str = ""
    and_operator: bool = False
    description: str = ""

    def _check(self, path: str, errors: list[str]) -> None:
        if self.kind not in SYNC_WINDOW_KINDS:
            errors.append(f"{path}.kind: must be allow or deny, got {self.kind!r}")
        if not self.schedule:
            errors.append(f"{path}.schedule is required")
        if not self.duration:
            errors.append(f"{path}.duration is required")


@dataclass
class OrphanedResourceKey(View):
    group: str = ""
    kind: str = ""
    name: str = ""


@dataclass
class OrphanedResourcesMonitorSettings(View):
    """Present means: report resources in the app's namespaces that no app tracks."""

    warn: bool | None = None
    ignore: list[OrphanedResourceKey] = field(default_factory=list)


@dataclass
class SignatureKey(View):
    _json_keys: ClassVar[dict[str, str]] = {"key_id": "keyID"}
    _required: ClassVar[tuple[str, ...]] = ("key_id",)

    key_id: str = ""


@dataclass
class DestinationServiceAccount(View):
    """The service account to impersonate when syncing to a server/namespace (globs)."""

    _required: ClassVar[tuple[str, ...]] = ("server", "default_service_account")

    server: str = ""
    namespace: str = ""
    default_service_account: str = ""


@dataclass
class AppProjectSpec(View):
    source_repos: list[str] = field(default_factory=list)
    destinations: list[ApplicationDestination] = field(default_factory=list)
    description: str = ""
    roles: list[ProjectRole] = field(default_factory=list)
    cluster_resource_whitelist: list[GroupKind] = field(default_factory=list)
    cluster_resource_blacklist: list[GroupKind] = field(default_factory=list)
    namespace_resource_whitelist: list[GroupKind] = field(default_factory=list)
    namespace_resource_blacklist: list[GroupKind] = field(default_factory=list)
    orphaned_resources: OrphanedResourcesMonitorSettings | None = None
    sync_windows: list[SyncWindow] = field(default_factory=list)
    signature_keys: list[SignatureKey] = field(default_factory=list)
    source_namespaces: list[str] = field(default_factory=list)
    destination_service_accounts: list[DestinationServiceAccount] = field(default_factory=list)
    permit_only_project_scoped_clusters: bool = False

    def role(self, name: str) -> ProjectRole | None:
        return next((r for r in self.roles if r.name == name), None)

    def _check(self, path: str, errors: list[str]) -> None:
        names = [r.name for r in self.roles if r.name]
        for dup in sorted({n for n in names if names.count(n) > 1}):
            errors.append(f"{path}.roles: role {dup!r} is defined more than once")


@dataclass
class AppProjectStatus(View):
    jwt_tokens_by_role: dict[str, Any] = field(default_factory=dict)


@dataclass
class AppProject(View):
    """An ``argoproj.io/v1alpha1`` AppProject."""

    _required: ClassVar[tuple[str, ...]] = ("spec",)
    _always: ClassVar[tuple[str, ...]] = ("api_version", "kind")

    api_version: str = API_VERSION
    kind: str = KIND_APP_PROJECT
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: AppProjectSpec = field(default_factory=AppProjectSpec)
    status: AppProjectStatus = field(default_factory=AppProjectStatus)

    @property
    def name(self) -> str:
        return self.metadata.name

    def _check(self, path: str, errors: list[str]) -> None:
        check_kind(self.api_version, self.kind, KIND_APP_PROJECT, errors)
