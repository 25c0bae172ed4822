"""What the browser tests get from their fixtures."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from argosy.server.run import BackgroundServer
from support.cluster import ClusterHandle
from support.controller import RunningController
from support.gitrepo import GitRepo

#: The value of the app's Secret: the browser must never receive it, plain or base64.
SECRET_VALUE = "hunter2-ui-only"
#: alice: the RBAC tutorial's read-only role:guest (reads apps and projects); bob: reads every app,
#: syncs those of TEAM_PROJECT only (a project-scoped policy: can-i on ``*/*`` says no to him);
#: admin: everything. ci-bot: an API-key-only account whose tokens the settings page creates and
#: deletes.
ARGOCD_CM = {"accounts.alice": "login", "accounts.bob": "login", "accounts.ci-bot": "apiKey"}
GUEST_POLICY = (
    "p, role:guest, applications, get, */*, allow\n"
    "p, role:guest, projects, get, *, allow\n"  # reads projects: sees none of their edits
    "g, alice, role:guest\n"
)
TEAM_PROJECT = "ui-team"
TEAM_POLICY = (
    "p, role:team, applications, get, */*, allow\n"
    f"p, role:team, applications, sync, {TEAM_PROJECT}/*, allow\n"
    "g, bob, role:team\n"
)


@dataclass
class UiEnv:
    cluster: ClusterHandle
    controller: RunningController
    server: BackgroundServer
    repo_url: str
    repo: GitRepo
    admin_password: str
    screenshots: Path

    @property
    def namespace(self) -> str:
        return self.controller.namespace
