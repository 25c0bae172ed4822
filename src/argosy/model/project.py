"""The AppProject resource: the guard rails of a group of applications.

A project says which repositories apps may use (``sourceRepos``), where they
may deploy (``destinations``), which kinds they may create (cluster kinds
are denied unless whitelisted), when they may sync (``syncWindows``) and who
may act on them (``roles``). Globs and ``!`` negation are kept as written;
matching them is the job of the controller and server.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from argosy.model.base import View
from argosy.model.constants import API_VERSION, KIND_APP_PROJECT
from argosy.model.destination import ApplicationDestination
from argosy.model.meta import ObjectMeta, check_kind

SYNC_WINDOW_KINDS = ("allow", "deny")


@dataclass
class GroupKind(View):
    """A kind in a namespaced resource white/blacklist; ``*`` globs allowed, ``""`` is the core group."""

    _required: ClassVar[tuple[str, ...]] = ("kind",)

    group: str = ""
    """API group (``""`` for the core group, ``*`` for all)."""
    kind: str = ""
    """Kind (``*`` for all)."""


@dataclass
class ClusterResourceRestrictionItem(GroupKind):
    """A kind in a cluster resource white/blacklist, optionally narrowed to names."""

    name: str = ""
    """Only resources of this name (glob)."""


@dataclass
class JWTToken(View):
    """A token issued for a project role (``iat``/``exp`` in Unix seconds); never the token itself."""

    _required: ClassVar[tuple[str, ...]] = ("iat",)

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
    """Casbin policy lines (``p, proj:<project>:<role>, applications, sync, <project>/*, allow``)."""
    groups: list[str] = field(default_factory=list)
    """SSO groups that have this role."""
    jwt_tokens: list[JWTToken] = field(default_factory=list)
    """Tokens issued for this role (their ids and dates, never the tokens)."""


@dataclass
class SyncWindow(View):
    """When syncs are allowed or denied: a cron ``schedule`` opening a window for ``duration``."""

    kind: str = ""
    """``allow`` or ``deny``."""
    schedule: str = ""
    """Cron schedule of the window's start (``0 22 * * *``)."""
    duration: str = ""
    """How long the window stays open (``1h``, ``30m``)."""
    applications: list[str] = field(default_factory=list)
    """Applications the window applies to (globs)."""
    namespaces: list[str] = field(default_factory=list)
    """Destination namespaces the window applies to (globs)."""
    clusters: list[str] = field(default_factory=list)
    """Destination clusters the window applies to (globs)."""
    manual_sync: bool = False
    """Allow manual syncs while the window denies syncs."""
    time_zone: str = ""
    """Time zone of the schedule (``Europe/Paris``); UTC by default."""
    and_operator: bool = False
    """Apply only to apps matching all of applications, namespaces and clusters (not any)."""
    description: str = ""
    sync_overrun: bool = False
    """Let a sync that started in an allow window finish after the window closes."""

    def _check(self, path: str, errors: list[str]) -> None:
        if self.kind not in SYNC_WINDOW_KINDS:
            errors.append(f"{path}.kind: must be allow or deny, got {self.kind!r}")
        if not self.schedule:
            errors.append(f"{path}.schedule is required")
        if not self.duration:
            errors.append(f"{path}.duration is required")


@dataclass
class OrphanedResourceKey(View):
    """Resources not reported as orphaned (globs)."""

    group: str = ""
    kind: str = ""
    name: str = ""


@dataclass
class OrphanedResourcesMonitorSettings(View):
    """Present means: report resources in the app's namespaces that no app tracks."""

    warn: bool | None = None
    """Also add an ``OrphanedResourceWarning`` condition to the apps."""
    ignore: list[OrphanedResourceKey] = field(default_factory=list)
    """Resources never reported."""


@dataclass
class SignatureKey(View):
    """A GnuPG key whose signatures on commits are trusted."""

    _json_keys: ClassVar[dict[str, str]] = {"key_id": "keyID"}
    _required: ClassVar[tuple[str, ...]] = ("key_id",)

    key_id: str = ""


@dataclass
class DestinationServiceAccount(View):
    """The service account to impersonate when syncing to a server/namespace (globs)."""

    _required: ClassVar[tuple[str, ...]] = ("server", "default_service_account")

    server: str = ""
    """Destination cluster URL (glob)."""
    namespace: str = ""
    """Destination namespace (glob)."""
    default_service_account: str = ""
    """Service account to sync as, ``namespace:name`` or a name in the destination namespace."""


@dataclass
class GitPolicyRepo(View):
    """Repositories a source integrity policy applies to."""

    _required: ClassVar[tuple[str, ...]] = ("url",)

    url: str = ""
    """Repository URL (glob)."""


@dataclass
class GitPolicyGPG(View):
    """Verify GnuPG signatures of commits and tags."""

    _required: ClassVar[tuple[str, ...]] = ("mode", "keys")

    mode: str = ""
    """``none``, ``head`` (the target revision) or ``strict`` (its whole history)."""
    keys: list[str] = field(default_factory=list)
    """Trusted key IDs (from the repo server's keyring)."""


@dataclass
class SourceIntegrityGitPolicy(View):
    _required: ClassVar[tuple[str, ...]] = ("repos", "gpg")

    repos: list[GitPolicyRepo] = field(default_factory=list)
    gpg: GitPolicyGPG = field(default_factory=GitPolicyGPG)


@dataclass
class SourceIntegrityGit(View):
    _required: ClassVar[tuple[str, ...]] = ("policies",)

    policies: list[SourceIntegrityGitPolicy] = field(default_factory=list)


@dataclass
class SourceIntegrity(View):
    """Checks the sources of the project's apps must pass before they are rendered."""

    _required: ClassVar[tuple[str, ...]] = ("git",)

    git: SourceIntegrityGit = field(default_factory=SourceIntegrityGit)
    """Policies for Git sources."""


@dataclass
class AppProjectSpec(View):
    """What the project's applications may use and do."""

    source_repos: list[str] = field(default_factory=list)
    """Repositories apps may use (globs; ``!`` excludes)."""
    destinations: list[ApplicationDestination] = field(default_factory=list)
    """Clusters and namespaces apps may deploy to (globs; ``!`` excludes)."""
    description: str = ""
    roles: list[ProjectRole] = field(default_factory=list)
    """Roles with their policies, groups and tokens."""
    cluster_resource_whitelist: list[ClusterResourceRestrictionItem] = field(default_factory=list)
    """Cluster-scoped kinds apps may manage (none unless listed)."""
    cluster_resource_blacklist: list[ClusterResourceRestrictionItem] = field(default_factory=list)
    """Cluster-scoped kinds apps may not manage."""
    namespace_resource_whitelist: list[GroupKind] = field(default_factory=list)
    """Namespaced kinds apps may manage (all unless this is set)."""
    namespace_resource_blacklist: list[GroupKind] = field(default_factory=list)
    """Namespaced kinds apps may not manage."""
    orphaned_resources: OrphanedResourcesMonitorSettings | None = None
    """Report resources in the apps' namespaces that no app manages."""
    sync_windows: list[SyncWindow] = field(default_factory=list)
    """When syncs are allowed or denied."""
    signature_keys: list[SignatureKey] = field(default_factory=list)
    """Only sync commits signed by one of these keys."""
    source_namespaces: list[str] = field(default_factory=list)
    """Namespaces outside the control plane's whose Applications may use this project (globs)."""
    destination_service_accounts: list[DestinationServiceAccount] = field(default_factory=list)
    """Service accounts to impersonate when syncing, per destination."""
    permit_only_project_scoped_clusters: bool = False
    """Apps may deploy only to clusters that belong to this project."""
    source_integrity: SourceIntegrity | None = None
    """Signature checks for the apps' sources."""

    def role(self, name: str) -> ProjectRole | None:
        return next((r for r in self.roles if r.name == name), None)

    def _check(self, path: str, errors: list[str]) -> None:
        names = [r.name for r in self.roles if r.name]
        for dup in sorted({n for n in names if names.count(n) > 1}):
            errors.append(f"{path}.roles: role {dup!r} is defined more than once")


@dataclass
class JWTTokens(View):
    items: list[JWTToken] = field(default_factory=list)


@dataclass
class AppProjectStatus(View):
    """``status`` of an AppProject, written by the API server."""

    _preserve_unknown: ClassVar[bool] = True

    jwt_tokens_by_role: dict[str, JWTTokens] = field(default_factory=dict)
    """Tokens issued per role."""


@dataclass
class AppProject(View):
    """A project: the repositories, destinations and kinds a group of applications may use."""

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
