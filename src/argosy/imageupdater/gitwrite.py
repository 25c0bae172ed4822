"""The ``git`` write-back: commit the new tags to the source repository, and push without force.

Settings (annotations ``write-back-method``, ``write-back-target``, ``git-branch``,
``git-repository``; ConfigMap ``argocd-image-updater-config``):

* credentials: ``git`` / ``git:repocreds`` use Argosy's repository Secrets (the
  same lookup as the repo server: repository, then repo-creds templates);
  ``git:secret:<namespace>/<name>`` a Secret with ``username``/``password`` or
  ``sshPrivateKey``;
* branch: ``git-branch: [base:]target``; ``target`` may use ``{{.AppName}}``,
  ``{{.SHA256}}`` (of the changes) and ``{{range .Images}}…{{end}}``; the default
  is the source's ``targetRevision`` (or the remote's default branch);
* commit: ``git.commit-message-template`` (Go template over ``.AppName`` and
  ``.AppChanges``), ``git.user``, ``git.email``, ``git.commit-sign-off``.

A rejected push (someone pushed meanwhile) is retried: fetch, reset to the
remote branch, re-apply the edits, commit, push; never forced.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from argosy.appstate.inputs import repository_store
from argosy.imageupdater import templates
from argosy.imageupdater.appupdate import Plan
from argosy.imageupdater.config import AppConfig
from argosy.imageupdater.gitfiles import (
    KUSTOMIZATION_FILES,
    TargetError,
    edit_helm_values,
    edit_kustomization,
    edit_source_file,
    target_file,
)
from argosy.imageupdater.overrides import WriteBackError, pick_source, source_kind, sources_of
from argosy.kube.clients import KubeClient
from argosy.kube.errors import KubeApiError
from argosy.repo import execute, tools
from argosy.repo.credentials import git_auth
from argosy.repo.errors import UrlNotAllowedError
from argosy.repo.git import _classify
from argosy.repo.redact import redact
from argosy.repo.urlpolicy import UrlPolicy
from argosy.settings.repositories import Repository, RepositoryStore
from argosy.settings.secrets import secret_text

Obj = dict[str, Any]
CONFIGMAP = "argocd-image-updater-config"
DEFAULT_MESSAGE = """build: automatic update of {{ .AppName }}

{{ range .AppChanges -}}
updates image {{ .Image }} tag '{{ .OldTag }}' to '{{ .NewTag }}'
{{ end -}}
"""
PUSH_ATTEMPTS = 4
_REJECTED = ("rejected", "non-fast-forward", "fetch first", "failed to update ref", "cannot lock ref")


class KubeControlPlane:
    """:class:`argosy.appstate.inputs.ControlPlaneReader` read straight from the API (one cycle's reads)."""

    def __init__(self, client: KubeClient, namespace: str) -> None:
        self.client = client
        self.namespace = namespace

    def secrets(self, secret_type: str) -> list[Obj]:
        found = self.client.request(
            "GET",
            f"/api/v1/namespaces/{self.namespace}/secrets",
            query={"labelSelector": f"argocd.argoproj.io/secret-type={secret_type}"},
        )
        return list((found or {}).get("items") or [])

    def _get(self, path: str) -> Obj | None:
        try:
            found: Obj = self.client.request("GET", path)
            return found
        except KubeApiError as exc:
            if exc.not_found:
                return None
            raise

    def configmap_data(self, name: str) -> dict[str, str]:
        cm = self._get(f"/api/v1/namespaces/{self.namespace}/configmaps/{name}") or {}
        return {str(k): str(v) for k, v in (cm.get("data") or {}).items()}

    def project(self, name: str) -> Mapping[str, Any] | None:
        return self._get(f"/apis/argoproj.io/v1alpha1/namespaces/{self.namespace}/appprojects/{name}")

    def secret(self, name: str) -> Obj | None:
        return self._get(f"/api/v1/namespaces/{self.namespace}/secrets/{name}")

    def secret_in(self, namespace: str, name: str) -> Obj | None:
        return self._get(f"/api/v1/namespaces/{namespace}/secrets/{name}")


def instance_file(app: Obj, control_namespace: str) -> str:
    """``.argocd-source-<name>.yaml``, or ``<namespace>_<name>`` for an app outside the control plane."""
    meta = app.get("metadata") or {}
    name, namespace = str(meta.get("name") or ""), str(meta.get("namespace") or "")
    if namespace and namespace != control_namespace:
        return f".argocd-source-{namespace}_{name}.yaml"
    return f".argocd-source-{name}.yaml"


class GitWriteBack:
    def __init__(
        self, client: KubeClient, namespace: str, *, timeout: float = 120.0, policy: UrlPolicy | None = None
    ) -> None:
        self.cp = KubeControlPlane(client, namespace)
        self.namespace = namespace
        self.timeout = timeout
        # git-repository is an annotation a tenant writes: the repo service's URL policy applies.
        self.policy = policy if policy is not None else UrlPolicy.from_env()

    # --- credentials and settings -----------------------------------------------------------------
    def _repository(
        self, method: str, url: str, project: str, app_namespace: str
    ) -> tuple[Repository, RepositoryStore]:
        store = repository_store(self.cp)
        _, _, creds = method.partition(":")
        if creds in ("", "repocreds"):
            return store.lookup(url, project), store
        kind, _, ref = creds.partition(":")
        namespace, _, name = ref.partition("/")
        if kind != "secret" or not namespace or not name:
            raise WriteBackError(
                f"write-back-method {method!r}: use git, git:repocreds or git:secret:<namespace>/<name>"
            )
        if namespace not in (self.namespace, app_namespace):
            # As for pull secrets: an Application must not send any Secret of the cluster to a URL it names.
            raise WriteBackError(
                f"write-back-method {method!r}: the Secret must be in namespace {self.namespace} "
                f"or {app_namespace} (the control plane's or the Application's)"
            )
        secret = self.cp.secret_in(namespace, name)
        if secret is None:
            raise WriteBackError(f"write-back-method {method!r}: Secret {namespace}/{name} not found")
        data = secret_text(secret, what=f"Secret {namespace}/{name}")
        base = store.lookup(url, project)
        merged = {**base.to_dict(), "url": url}
        for key, field_name in (
            ("username", "username"),
            ("password", "password"),
            ("sshPrivateKey", "ssh_private_key"),
        ):
            if data.get(key):
                merged[field_name] = data[key]
        return Repository.from_dict(merged), store

    # --- git -----------------------------------------------------------------------------------
    def _git(
        self, args: list[str], cwd: Path | None, env: dict[str, str], secrets: list[str], what: str
    ) -> str:
        result = execute.run(
            [tools.find("git"), *args], cwd=cwd, env=env, timeout=self.timeout, secrets=secrets
        )
        if result.returncode != 0:
            raise _classify(redact(result.stderr, secrets), what)
        return result.text

    def __call__(self, app: Obj, config: AppConfig, plan: Plan) -> str:
        meta = app.get("metadata") or {}
        write_back = config.write_back
        method = (write_back.method if write_back else None) or "git"
        changes = plan.changes
        index = pick_source(app, changes[0][0])
        source = sources_of(app)[index]
        url = (write_back.repository if write_back and write_back.repository else None) or str(
            source.get("repoURL") or ""
        )
        try:
            self.policy.check(url, "write-back repository")
        except UrlNotAllowedError as exc:
            raise WriteBackError(str(exc)) from None
        if source.get("chart") and not (write_back and write_back.repository):
            raise WriteBackError(
                "the source is a Helm repository chart: set git-repository to the repo to commit to"
            )
        settings = self.cp.configmap_data(CONFIGMAP)
        app_name = str(meta.get("name") or "")
        images = [
            {"Name": c.new.full_name, "Alias": c.alias, "OldTag": c.old_tag, "NewTag": c.tag_text}
            for c, _ in changes
        ]
        sha = hashlib.sha256("\n".join(f"{i['Name']}:{i['NewTag']}" for i in images).encode()).hexdigest()
        try:
            message = templates.render(
                settings.get("git.commit-message-template") or DEFAULT_MESSAGE,
                {
                    "AppName": app_name,
                    "AppChanges": [
                        {"Image": i["Name"], "OldTag": i["OldTag"], "NewTag": i["NewTag"]} for i in images
                    ],
                },
            )
            base, _, target = ((write_back.branch if write_back else None) or "").rpartition(":")
            if not target and not base:
                target = ""
            target = templates.render(target, {"AppName": app_name, "SHA256": sha, "Images": images})
        except templates.TemplateError as exc:
            raise WriteBackError(str(exc)) from None
        revision = str(source.get("targetRevision") or "")
        base = base or (revision if revision not in ("", "HEAD") else "")
        kind_hint = source_kind(app, index)
        try:
            kind, rel = target_file(
                (write_back.target if write_back else None) or "",
                str(source.get("path") or ""),
                instance_file(app, self.namespace),
            )
        except TargetError as exc:
            raise WriteBackError(str(exc)) from None
        project = str((app.get("spec") or {}).get("project") or "")
        repo, store = self._repository(method, url, project, str(meta.get("namespace") or ""))
        author = settings.get("git.user") or "argocd-image-updater"
        email = settings.get("git.email") or "noreply@argoproj.io"
        sign_off = (settings.get("git.commit-sign-off") or "").strip().lower() == "true"

        def edit(root: Path) -> bool:
            path = root / rel
            try:
                if kind == "kustomization":
                    found = next((path / n for n in KUSTOMIZATION_FILES if (path / n).is_file()), None)
                    if found is None:
                        raise TargetError(
                            f"{rel or '.'}: no kustomization file (write-back-target kustomization)"
                        )
                    path = found
                    new = edit_kustomization(path.read_text(), str(path.relative_to(root)), changes)
                elif kind == "helmvalues":
                    old = path.read_text() if path.is_file() else None
                    new = edit_helm_values(old, rel, changes)
                else:
                    old = path.read_text() if path.is_file() else None
                    new = edit_source_file(old, rel, kind_hint, changes)
            except TargetError as exc:
                raise WriteBackError(str(exc)) from None
            if path.is_file() and path.read_text() == new:
                return False
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(new)
            return True

        pushed = self._commit_and_push(repo, store, base, target, edit, message, author, email, sign_off)
        where = f"{url} {target or base or 'default branch'}"
        return f"committed {pushed[:8]} to {where}" if pushed else ""

    def _commit_and_push(
        self,
        repo: Repository,
        store: RepositoryStore,
        base: str,
        target: str,
        edit: Any,
        message: str,
        author: str,
        email: str,
        sign_off: bool,
    ) -> str:
        work = Path(tempfile.mkdtemp(prefix="argosy-writeback-"))
        try:
            with git_auth(repo, store) as auth:
                env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "SSH_"))}
                home = work / "home"
                home.mkdir()
                env.update(
                    HOME=str(home),
                    LC_ALL="C",
                    GIT_CONFIG_NOSYSTEM="1",
                    GIT_AUTHOR_NAME=author,
                    GIT_AUTHOR_EMAIL=email,
                    GIT_COMMITTER_NAME=author,
                    GIT_COMMITTER_EMAIL=email,
                    **auth.env,
                )
                root = work / "repo"
                secrets = auth.secrets

                def git(*args: str, what: str = "git") -> str:
                    return self._git(list(args), root, env, secrets, what)

                clone = ["clone", "--quiet", "--no-tags"]
                if base:
                    clone += ["--branch", base, "--single-branch"]
                self._git([*clone, repo.url, str(root)], None, env, secrets, f"git clone {repo.url}")
                branch = base or git("rev-parse", "--abbrev-ref", "HEAD").strip()
                push_to = target or branch
                if push_to != branch:
                    exists = git("ls-remote", "--heads", "origin", push_to, what="git ls-remote").strip()
                    if exists:
                        git(
                            "fetch",
                            "--quiet",
                            "origin",
                            f"+refs/heads/{push_to}:refs/remotes/origin/{push_to}",
                        )
                        git("checkout", "--quiet", "-B", push_to, f"origin/{push_to}")
                    else:
                        git("checkout", "--quiet", "-b", push_to)
                for attempt in range(PUSH_ATTEMPTS):
                    if not edit(root):
                        return ""
                    git("add", "-A")
                    commit = ["commit", "--quiet", "-m", message]
                    if sign_off:
                        commit.append("--signoff")
                    git(*commit, what="git commit")
                    result = execute.run(
                        [tools.find("git"), "push", "--quiet", "origin", f"HEAD:refs/heads/{push_to}"],
                        cwd=root,
                        env=env,
                        timeout=self.timeout,
                        secrets=secrets,
                    )
                    if result.returncode == 0:
                        return git("rev-parse", "HEAD").strip()
                    stderr = redact(result.stderr, secrets)
                    if not any(h in stderr.lower() for h in _REJECTED) or attempt == PUSH_ATTEMPTS - 1:
                        raise _classify(stderr, f"git push to {push_to}")
                    # Someone pushed meanwhile: start again from their commit, never force.
                    git("fetch", "--quiet", "origin", f"+refs/heads/{push_to}:refs/remotes/origin/{push_to}")
                    git("reset", "--quiet", "--hard", f"origin/{push_to}")
                return ""
        finally:
            shutil.rmtree(work, ignore_errors=True)
