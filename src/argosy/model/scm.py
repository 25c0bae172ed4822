"""The ApplicationSet generators that ask a Git host: ``scmProvider`` and ``pullRequest``.

``scmProvider`` yields one parameter set per repository (or branch) of an
organization; ``pullRequest`` one per open pull request of a repository.
Tokens are never written here: each provider names a Secret (``tokenRef``)
in the ApplicationSet's namespace.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from argosy.model.base import View


@dataclass
class SecretRef(View):
    """A key of a Secret in the ApplicationSet's namespace."""

    _required: ClassVar[tuple[str, ...]] = ("secret_name", "key")

    secret_name: str = ""
    key: str = ""


@dataclass
class ConfigMapKeyRef(View):
    """A key of a ConfigMap in the ApplicationSet's namespace (a CA certificate)."""

    _required: ClassVar[tuple[str, ...]] = ("config_map_name", "key")

    config_map_name: str = ""
    key: str = ""


@dataclass
class BasicAuth(View):
    """User name and password (from a Secret)."""

    _required: ClassVar[tuple[str, ...]] = ("username", "password_ref")

    username: str = ""
    password_ref: SecretRef = field(default_factory=SecretRef)


@dataclass
class BearerToken(View):
    """A bearer token (from a Secret)."""

    _required: ClassVar[tuple[str, ...]] = ("token_ref",)

    token_ref: SecretRef = field(default_factory=SecretRef)


@dataclass
class ScmGithub(View):
    _required: ClassVar[tuple[str, ...]] = ("organization",)

    organization: str = ""
    api: str = ""
    """API URL for GitHub Enterprise; github.com by default."""
    token_ref: SecretRef | None = None
    app_secret_name: str = ""
    """Secret of a GitHub App to authenticate as, instead of a token."""
    all_branches: bool = False
    """One parameter set per branch, not only the default branch."""
    exclude_archived_repos: bool = False


@dataclass
class ScmGitlab(View):
    _required: ClassVar[tuple[str, ...]] = ("group",)

    group: str = ""
    """Group (or user) whose projects to list."""
    include_subgroups: bool = False
    api: str = ""
    token_ref: SecretRef | None = None
    all_branches: bool = False
    insecure: bool = False
    """Skip TLS verification."""
    include_shared_projects: bool | None = None
    topic: str = ""
    """Only projects with this topic."""
    ca_ref: ConfigMapKeyRef | None = None
    include_archived_repos: bool = False


@dataclass
class ScmBitbucket(View):
    """Bitbucket Cloud."""

    _required: ClassVar[tuple[str, ...]] = ("owner", "user", "app_password_ref")

    owner: str = ""
    """Workspace whose repositories to list."""
    user: str = ""
    app_password_ref: SecretRef = field(default_factory=SecretRef)
    all_branches: bool = False


@dataclass
class ScmBitbucketServer(View):
    _required: ClassVar[tuple[str, ...]] = ("project", "api")

    project: str = ""
    api: str = ""
    basic_auth: BasicAuth | None = None
    all_branches: bool = False
    bearer_token: BearerToken | None = None
    insecure: bool = False
    ca_ref: ConfigMapKeyRef | None = None


@dataclass
class ScmGitea(View):
    _required: ClassVar[tuple[str, ...]] = ("owner", "api")

    owner: str = ""
    api: str = ""
    token_ref: SecretRef | None = None
    all_branches: bool = False
    insecure: bool = False
    exclude_archived_repos: bool = False


@dataclass
class ScmAzureDevOps(View):
    _required: ClassVar[tuple[str, ...]] = ("organization", "team_project", "access_token_ref")

    organization: str = ""
    api: str = ""
    team_project: str = ""
    access_token_ref: SecretRef = field(default_factory=SecretRef)
    all_branches: bool = False


@dataclass
class TagFilter(View):
    _required: ClassVar[tuple[str, ...]] = ("key",)

    key: str = ""
    value: str = ""


@dataclass
class ScmAwsCodeCommit(View):
    tag_filters: list[TagFilter] = field(default_factory=list)
    role: str = ""
    """IAM role to assume to list repositories of another account."""
    region: str = ""
    all_branches: bool = False


@dataclass
class ScmProviderFilter(View):
    """Which repositories to keep; all conditions of one filter must hold, any filter may."""

    repository_match: str = ""
    """Regular expression on the repository name."""
    paths_exist: list[str] = field(default_factory=list)
    paths_do_not_exist: list[str] = field(default_factory=list)
    label_match: str = ""
    """Regular expression on the repository's labels or topics."""
    branch_match: str = ""
    """Regular expression on the branch name."""


@dataclass
class PullRequestGithub(View):
    _required: ClassVar[tuple[str, ...]] = ("owner", "repo")

    owner: str = ""
    repo: str = ""
    api: str = ""
    token_ref: SecretRef | None = None
    app_secret_name: str = ""
    labels: list[str] = field(default_factory=list)
    """Only pull requests with all these labels."""


@dataclass
class PullRequestGitlab(View):
    _required: ClassVar[tuple[str, ...]] = ("project",)

    project: str = ""
    """Project ID or path."""
    api: str = ""
    token_ref: SecretRef | None = None
    labels: list[str] = field(default_factory=list)
    pull_request_state: str = ""
    """``opened`` (default), ``closed``, ``merged`` or ``all``."""
    insecure: bool = False
    ca_ref: ConfigMapKeyRef | None = None


@dataclass
class PullRequestGitea(View):
    _required: ClassVar[tuple[str, ...]] = ("owner", "repo", "api")

    owner: str = ""
    repo: str = ""
    api: str = ""
    token_ref: SecretRef | None = None
    insecure: bool = False
    labels: list[str] = field(default_factory=list)


@dataclass
class PullRequestBitbucketServer(View):
    _required: ClassVar[tuple[str, ...]] = ("project", "repo", "api")

    project: str = ""
    repo: str = ""
    api: str = ""
    basic_auth: BasicAuth | None = None
    bearer_token: BearerToken | None = None
    insecure: bool = False
    ca_ref: ConfigMapKeyRef | None = None


@dataclass
class PullRequestBitbucket(View):
    """Bitbucket Cloud."""

    _required: ClassVar[tuple[str, ...]] = ("owner", "repo")

    owner: str = ""
    repo: str = ""
    api: str = ""
    basic_auth: BasicAuth | None = None
    bearer_token: BearerToken | None = None


@dataclass
class PullRequestAzureDevOps(View):
    _required: ClassVar[tuple[str, ...]] = ("organization", "project", "repo")

    organization: str = ""
    project: str = ""
    repo: str = ""
    api: str = ""
    token_ref: SecretRef | None = None
    labels: list[str] = field(default_factory=list)


@dataclass
class PullRequestFilter(View):
    """Which pull requests to keep (regular expressions); any filter may match."""

    branch_match: str = ""
    target_branch_match: str = ""
    title_match: str = ""
