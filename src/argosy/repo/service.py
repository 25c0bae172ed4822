"""The repo service: resolve each source's revision, render it (or take it from cache).

:class:`RepoService` is used in-process (``argosy admin app render``,
``--core`` mode, tests) and behind ``argosy repo-server``'s HTTP API; both
speak :class:`RenderRequest` -> :class:`RenderResult`.

Flow per source: one ``git ls-remote`` (or one ``index.yaml`` fetch for Helm
repositories) resolves ``targetRevision``; the cache is consulted with the
resolved commit; only on a miss is the working copy fetched (if the commit is
new), checked out and rendered, under the repository's lock - and the locks of
the repositories its ``$ref`` value files read, always taken in one order so
two multi-source renders cannot deadlock.

Before anything is fetched, each source's repository URL passes the service's
:class:`~argosy.repo.urlpolicy.UrlPolicy` (no loopback, link-local, metadata or
local-path repositories unless the operator allows them).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
from contextlib import ExitStack, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argosy.dirs import user_cache_dir
from argosy.repo import generatepaths, imageoverrides, tools
from argosy.repo.cache import RenderCache, make_key
from argosy.repo.commitmeta import RevisionMetadata
from argosy.repo.credentials import http_auth
from argosy.repo.errors import InvalidSourceError, RepoError
from argosy.repo.git import GitRepos
from argosy.repo.helmrepo import HelmRepos
from argosy.repo.paths import app_path, check_symlinks
from argosy.repo.redact import redact, strip_userinfo
from argosy.repo.renderers import RenderContext, Rendered, RenderInput, detect_tool
from argosy.repo.renderers import directory as directory_renderer
from argosy.repo.renderers import helm as helm_renderer
from argosy.repo.renderers import kustomize as kustomize_renderer
from argosy.repo.request import RenderRequest
from argosy.repo.result import RenderedObject, RenderResult, SourceResult
from argosy.repo.sops import hooks as sops_hooks
from argosy.repo.sops.decrypt import Decryptor
from argosy.repo.sops.seal import SENSITIVE, Sealer
from argosy.repo.source import RenderSource
from argosy.repo.sourcefiles import apply_source_files
from argosy.repo.urlpolicy import UrlPolicy
from argosy.settings.repositories import Repository, RepositoryStore, normalize_git_url, same_url

log = logging.getLogger("argosy.repo")


@dataclass
class _Resolved:
    source: RenderSource
    repo: Repository
    revision: str
    chart_entry: dict[str, Any] | None = None
    truncated: bool = False


def default_root() -> Path:
    """``$ARGOSY_REPO_CACHE_DIR``, else ``<user cache>/repo-server``."""
    explicit = os.environ.get("ARGOSY_REPO_CACHE_DIR")
    return Path(explicit) if explicit else user_cache_dir() / "repo-server"


class RepoService:
    """Thread-safe; one instance per process is enough (it owns the working copies)."""

    def __init__(
        self,
        root: Path | None = None,
        timeout: float | None = None,
        cache_entries: int = 512,
        revision_cache_seconds: float = 180.0,
        parallelism_limit: int = 0,
        url_policy: UrlPolicy | None = None,
        git_request_timeout: float | None = None,
        max_combined_directory_bytes: int = directory_renderer.MAX_COMBINED_BYTES,
    ) -> None:
        """``timeout``: each git fetch/helm/kustomize process (None: ``ARGOSY_EXEC_TIMEOUT``, 90 s);
        ``git_request_timeout``: each ``git ls-remote`` (None: ``ARGOSY_GIT_REQUEST_TIMEOUT``, 15 s)."""
        self.root = root or default_root()
        self.root.mkdir(parents=True, exist_ok=True)
        self.max_combined_directory_bytes = max_combined_directory_bytes
        # What may be fetched: given, else reposerver.allowed.* from this process's environment.
        self.url_policy = url_policy if url_policy is not None else UrlPolicy.from_env()
        self.git = GitRepos(
            self.root / "git",
            timeout=timeout,
            revision_cache_seconds=revision_cache_seconds,
            policy=self.url_policy,
            request_timeout=git_request_timeout,
        )
        self.helm_repos = HelmRepos(self.root / "charts", timeout=timeout or 90.0, policy=self.url_policy)
        self.cache = RenderCache(self.root / "manifests", cache_entries)
        self.helm_home = self.root / "helm"
        self.renders = 0
        self.sealer = Sealer()  # renders that decrypted SOPS files are cached sealed
        self._last_commit: dict[str, str] = {}
        self._symlinks_checked: set[tuple[str, str]] = set()
        # reposerver.parallelism.limit: renders (not cache hits) running at once, so a burst
        # of new commits cannot start a hundred helm/kustomize processes on a small machine.
        self._parallel = threading.BoundedSemaphore(parallelism_limit) if parallelism_limit > 0 else None

    # -- revision resolution -------------------------------------------------
    def resolve_revision(
        self, source: RenderSource, store: RepositoryStore, project: str = "", max_age: float = 0.0
    ) -> _Resolved:
        repo = store.lookup(source.repo_url, project)
        if source.is_helm_repo:
            if repo.enable_oci or source.repo_url.startswith("oci://") or repo.type == "oci":
                from argosy.repo import oci

                host, name = oci.reference(repo, source.chart)
                self.url_policy.check(f"oci://{host}/{name}", "OCI registry")
                version = oci.resolve(
                    repo, store, source.chart, source.target_revision, self.git.timeout, self.url_policy
                )
                return _Resolved(source, repo, version, {"version": version, "oci": True})
            self.url_policy.check(repo.url, "Helm repository")
            entry = self.helm_repos.resolve(repo, store, source.chart, source.target_revision)
            return _Resolved(source, repo, str(entry["version"]), entry)
        self.url_policy.check(repo.url)  # also when a commit SHA needs no ls-remote
        resolved = self.git.resolve(repo, store, source.target_revision, max_age)
        return _Resolved(source, repo, resolved.sha, None, resolved.truncated)

    # -- connection test (Argo CD's TestRepository) ---------------------------------
    def test_repository(self, repo_url: str, store: RepositoryStore, project: str = "") -> None:
        """Reach the repository with the credentials ``store`` gives it (its own, else a template's):
        one fresh ``git ls-remote``, or the Helm index; raises the typed RepoError on failure."""
        repo = store.lookup(repo_url, project)
        if repo.type == "helm" and not (repo.enable_oci or repo_url.startswith("oci://")):
            self.url_policy.check(repo.url, "Helm repository")
            self.helm_repos.index(repo, store)
            return
        if repo.type in ("helm", "oci") or repo_url.startswith("oci://"):
            raise InvalidSourceError(
                f"repository {repo_url}: testing OCI repositories is not supported yet; "
                "an application using it reports the registry's answer"
            )
        self.url_policy.check(repo.url)
        self.git.ls_remote(repo, store)

    # -- listings (ApplicationSet git generator) ---------------------------------
    def git_listing(
        self, repo_url: str, revision: str, store: RepositoryStore, project: str = ""
    ) -> tuple[str, list[str], list[str]]:
        """``(sha, directories, files)`` of ``revision`` (default ``HEAD``), without a checkout."""
        repo = store.lookup(repo_url, project)
        with self.git.lock(repo.url):
            resolved = self.git.resolve(repo, store, revision or "HEAD")
            wd, sha = self.git.fetch_commit(repo, store, resolved)
            dirs, files = self.git.tree(wd, sha)
        return sha, dirs, files

    def git_file(
        self, repo_url: str, sha: str, path: str, store: RepositoryStore, project: str = ""
    ) -> bytes:
        """One file of a commit already fetched by :meth:`git_listing`."""
        repo = store.lookup(repo_url, project)
        with self.git.lock(repo.url):
            return self.git.read_blob(self.git.workdir(repo.url), sha, path)

    # -- commit metadata (Argo CD's RevisionMetadata) -----------------------------
    def revision_metadata(
        self, repo_url: str, revision: str, store: RepositoryStore, project: str = ""
    ) -> RevisionMetadata:
        """Author, date, tags and message of ``revision`` (a SHA, branch or tag) of a Git repository.

        Uses the same working copy as rendering (fetching only when the commit is missing);
        RevisionNotFoundError names the revision and repository when it does not exist."""
        repo = store.lookup(repo_url, project)
        self.url_policy.check(repo.url)
        with self.git.lock(repo.url):
            resolved = self.git.resolve(repo, store, revision or "HEAD")
            wd, sha = self.git.fetch_commit(repo, store, resolved)
            return self.git.commit_metadata(wd, sha)

    def app_details(self, req: RenderRequest) -> dict[str, Any]:
        """What ``req``'s source offers to parameterise (:mod:`argosy.repo.appdetails`)."""
        from argosy.repo.appdetails import app_details

        return app_details(self, req)

    # -- rendering ------------------------------------------------------------
    def render(self, req: RenderRequest) -> RenderResult:
        sources = req.parsed_sources()
        ctx = req.context()
        store = req.repositories
        resolved: list[_Resolved] = []
        memo: dict[tuple[str, str, str], _Resolved] = {}
        for src in sources:
            key = (normalize_git_url(src.repo_url), src.chart, src.target_revision)
            if key not in memo:
                memo[key] = self.resolve_revision(src, store, req.project, req.revision_max_age)
            resolved.append(
                _Resolved(src, memo[key].repo, memo[key].revision, memo[key].chart_entry, memo[key].truncated)
            )
        refs = {r.source.ref: r for r in resolved if r.source.ref}
        result = RenderResult()
        for index, r in enumerate(resolved):
            src = r.source
            info = SourceResult(
                repo_url=strip_userinfo(src.repo_url),
                revision=r.revision,
                target_revision=src.target_revision,
                path=src.path,
                chart=src.chart,
                ref=src.ref,
            )
            result.sources.append(info)
            if src.ref and not src.path and not src.chart:
                continue  # a values-only source: read through $ref, not rendered itself
            used_refs = self._used_refs(src, refs, r)
            entry = self._render_cached(req, ctx, store, index, r, used_refs)
            info.revision = r.revision
            info.tool = str(entry.get("tool", ""))
            info.cached = bool(entry.get("cached"))
            objects = [RenderedObject.from_dict(o) for o in entry.get("objects") or []]
            for o in objects:
                o.provenance.source_index = index
            info.object_count = len(objects)
            result.objects += objects
            result.warnings += list(entry.get("warnings") or [])
        return result

    def _used_refs(
        self, src: RenderSource, refs: dict[str, _Resolved], own: _Resolved
    ) -> dict[str, _Resolved]:
        names = {
            v[1:].split("/", 1)[0] for v in (src.helm.value_files if src.helm else ()) if v.startswith("$")
        }
        used: dict[str, _Resolved] = {}
        for name in sorted(names):
            if name not in refs:
                raise InvalidSourceError(f"value file ${name}/...: no source has ref: {name!r}")
            ref = refs[name]
            if ref.source.is_helm_repo:
                raise InvalidSourceError(
                    f"ref {name!r} points to a Helm chart; $ref value files need a Git source"
                )
            if (
                same_url(ref.source.repo_url, src.repo_url)
                and not src.is_helm_repo
                and ref.revision != own.revision
            ):
                raise InvalidSourceError(
                    f"cannot reference a different revision of the same repository (${name} references "
                    f"{ref.source.target_revision!r} which resolves to {ref.revision} while the application "
                    f"references {src.target_revision!r} which resolves to {own.revision})"
                )
            used[name] = ref
        return used

    def _key(
        self, req: RenderRequest, ctx: RenderContext, r: _Resolved, refs: dict[str, _Resolved], commit: str
    ) -> tuple[str, str]:
        src = r.source
        base = {
            "repo": normalize_git_url(src.repo_url) or src.repo_url,
            "options": src.options_key(),
            "refs": {n: [normalize_git_url(x.source.repo_url), x.revision] for n, x in refs.items()},
            "ctx": [ctx.app_name, ctx.namespace, ctx.kube_version, list(ctx.api_versions)],
            "kustomizeBuildOptions": ctx.kustomize_build_options,
            "remoteValues": ctx.allow_remote_value_files,
            "env": [req.app_namespace, src.target_revision],
            "tools": [tools.version_or_absent("helm"), tools.version_or_absent("kustomize")],
            "sops": req.sops.fingerprint(),
            "imageOverrides": req.image_overrides,
        }
        return make_key({**base, "commit": commit}), make_key(base)

    def _render_cached(
        self,
        req: RenderRequest,
        ctx: RenderContext,
        store: RepositoryStore,
        index: int,
        r: _Resolved,
        refs: dict[str, _Resolved],
    ) -> dict[str, Any]:
        key, lineage = self._key(req, ctx, r, refs, r.revision)
        if not req.no_cache and not r.truncated:
            hit = self.sealer.unseal(self.cache.get(key))
            if hit is not None:
                return {**hit, "cached": True}
        reused = None if req.no_cache else self._reuse_for_unchanged_paths(req, r, refs, index, lineage)
        if reused is not None:
            entry = reused
        else:
            with self._parallel or nullcontext():
                entry = self._render_locked(req, ctx, store, index, r, refs)
            self.renders += 1
        if r.truncated:
            key, lineage = self._key(req, ctx, r, refs, r.revision)
        self.cache.put(key, self.sealer.seal(entry))
        if not r.source.is_helm_repo:
            self._last_commit[lineage] = r.revision
        return {**entry, "cached": reused is not None}

    def _reuse_for_unchanged_paths(
        self, req: RenderRequest, r: _Resolved, refs: dict[str, _Resolved], index: int, lineage: str
    ) -> dict[str, Any] | None:
        annotation = req.manifest_generate_paths
        if not annotation or r.source.is_helm_repo or refs or r.truncated:
            return None
        previous = req.previous_revisions[index] if index < len(req.previous_revisions) else ""
        previous = previous or self._last_commit.get(lineage, "")
        if not previous or previous == r.revision:
            return None
        old_entry = self.sealer.unseal(self.cache.get(self._key(req, req.context(), r, refs, previous)[0]))
        if old_entry is None:
            return None
        with self.git.lock(r.source.repo_url):
            self.git.checkout(r.repo, req.repositories, _as_git_resolved(r))
            changed = self.git.changed_files(r.source.repo_url, previous, r.revision)
            self.git.reset(r.source.repo_url, touched=False)
        if changed is None or generatepaths.affected(changed, annotation, r.source.path):
            return None
        log.info(
            "%s: no change under %s between %s and %s; reusing manifests",
            req.app_name,
            annotation,
            previous[:8],
            r.revision[:8],
        )
        return dict(old_entry)

    def _render_locked(
        self,
        req: RenderRequest,
        ctx: RenderContext,
        store: RepositoryStore,
        index: int,
        r: _Resolved,
        refs: dict[str, _Resolved],
    ) -> dict[str, Any]:
        involved = {} if r.source.is_helm_repo else {self.git.key(r.source.repo_url): r}
        for ref in refs.values():
            involved.setdefault(self.git.key(ref.source.repo_url), ref)
        # Renderers other than the plain directory one may write into the working copy
        # (kustomize edit, helm dependency build): only then must it be reset afterwards.
        touched = [True]
        with ExitStack() as stack:
            ref_roots: dict[str, Path] = {}
            checked: dict[str, Path] = {}
            for key in sorted(involved):
                item = involved[key]
                stack.enter_context(self.git.lock(item.source.repo_url))
                stack.callback(self._reset_after, item.source.repo_url, touched)
                wd, sha = self.git.checkout(item.repo, store, _as_git_resolved(item))
                self._check_symlinks_once(key, sha, wd)
                item.revision = sha
                item.truncated = False
                checked[key] = wd
            for name, ref in refs.items():
                ref_roots[name] = checked[self.git.key(ref.source.repo_url)]
            work = Path(tempfile.mkdtemp(prefix="argosy-render-"))
            stack.callback(shutil.rmtree, work, True)
            if r.source.is_helm_repo:
                root = self._chart_copy(r, store, work)
                path = root
            else:
                root = checked[self.git.key(r.source.repo_url)]
                path = app_path(root, r.source.path)
            decryptor = stack.enter_context(Decryptor(req.sops))
            source = r.source
            if not source.is_helm_repo and path.is_dir():  # overrides stored in Git (.argocd-source*.yaml)
                source = apply_source_files(source, path, req.app_name, req.app_namespace)
            inp = RenderInput(
                root,
                path,
                source,
                index,
                ctx,
                ref_roots,
                work,
                decryptor,
                self.url_policy,
                exec_timeout=self.git.timeout,
            )
            try:
                rendered = self._run_renderer(inp, r, req, store, stack)
                touched[0] = rendered.tool != "Directory"
                sops_hooks.finish(rendered, decryptor)
            except RepoError as exc:
                exc.args = (redact(str(exc), [*r.repo.secrets(), *decryptor.revealed()]),)
                raise
        return {
            "tool": rendered.tool,
            "objects": [o.to_dict() for o in rendered.objects],
            "warnings": rendered.warnings,
            SENSITIVE: decryptor.used,
        }

    def _reset_after(self, url: str, touched: list[bool]) -> None:
        self.git.reset(url, touched[0])

    def _check_symlinks_once(self, key: str, sha: str, wd: Path) -> None:
        """Refuse symlinks leaving the repository, walking each (repository, commit) once:
        the walk is O(files in the repository), and a fleet renders many paths of one commit."""
        if (key, sha) in self._symlinks_checked:
            return
        check_symlinks(wd)
        if len(self._symlinks_checked) > 4096:
            self._symlinks_checked.clear()
        self._symlinks_checked.add((key, sha))

    def chart_files(
        self, source: RenderSource, store: RepositoryStore, project: str = ""
    ) -> tuple[str, Path]:
        """``(version, directory)`` of a chart from a Helm repository or OCI registry: the version
        ``targetRevision`` resolves to and the unpacked chart the render copies from (downloaded
        once, with the repository Secret's credentials). For reading only (app details): a render
        works on its own copy."""
        if not source.is_helm_repo:
            raise InvalidSourceError(f"source {source.repo_url}: no chart: set, not a Helm repository chart")
        r = self.resolve_revision(source, store, project)
        return r.revision, self._cached_chart(r, store)

    def _chart_copy(self, r: _Resolved, store: RepositoryStore, work: Path) -> Path:
        target = work / "chart" / r.source.chart
        shutil.copytree(self._cached_chart(r, store), target, symlinks=True)
        check_symlinks(target)
        return target

    def _cached_chart(self, r: _Resolved, store: RepositoryStore) -> Path:
        """The shared, unpacked chart of a resolved chart source (pulled or downloaded on first use)."""
        pass_creds = bool(r.source.helm and r.source.helm.pass_credentials)
        if r.chart_entry and r.chart_entry.get("oci"):
            from argosy.repo import oci

            return oci.pull(
                r.repo,
                store,
                r.source.chart,
                r.revision,
                self.root / "oci",
                self.helm_home,
                self.url_policy,
                self.git.timeout,
            )
        assert r.chart_entry is not None
        return self.helm_repos.chart_dir(r.repo, store, r.source.chart, r.chart_entry, pass_creds)

    def _run_renderer(
        self, inp: RenderInput, r: _Resolved, req: RenderRequest, store: RepositoryStore, stack: ExitStack
    ) -> Rendered:
        env = build_env(req, r)
        tool = detect_tool(inp.source, inp.app_dir)
        if tool == "Kustomize":
            return kustomize_renderer.render(inp, env)
        if tool == "Helm":
            dep_repos = []
            for i, url in enumerate(helm_renderer.dependency_repositories(inp.app_dir, inp.root)):
                dep = store.lookup(url, req.project)
                auth = stack.enter_context(http_auth(dep, store))
                entry: dict[str, Any] = {"name": f"dep{i}", "url": url}
                if auth.auth:
                    entry.update(username=auth.auth[0], password=auth.auth[1])
                if isinstance(auth.verify, str):
                    entry["caFile"] = auth.verify
                entry["insecure_skip_tls_verify"] = auth.verify is False
                if auth.cert:
                    entry.update(certFile=auth.cert[0], keyFile=auth.cert[1])
                dep_repos.append(entry)
            return helm_renderer.render(inp, env, self.helm_home, dep_repos)
        rendered = directory_renderer.render(inp, self.max_combined_directory_bytes)
        if req.image_overrides:  # argosy.io/image-overrides: Kustomize-style images for a plain directory
            imageoverrides.apply([o.object for o in rendered.objects], req.image_overrides)
        return rendered


def _as_git_resolved(r: _Resolved) -> Any:
    from argosy.repo.revision import Resolved

    return Resolved(r.revision, truncated=r.truncated)


def build_env(req: RenderRequest, r: _Resolved) -> dict[str, str]:
    """Argo CD's build environment, visible to Helm parameters and Kustomize envsubst."""
    return {
        "ARGOCD_APP_NAME": req.app_name,
        "ARGOCD_APP_NAMESPACE": req.namespace,
        "ARGOCD_APP_PROJECT_NAME": req.project,
        "ARGOCD_APP_REVISION": r.revision,
        "ARGOCD_APP_REVISION_SHORT": r.revision[:7],
        "ARGOCD_APP_REVISION_SHORT_8": r.revision[:8],
        "ARGOCD_APP_SOURCE_PATH": r.source.path,
        "ARGOCD_APP_SOURCE_REPO_URL": strip_userinfo(r.source.repo_url),
        "ARGOCD_APP_SOURCE_TARGET_REVISION": r.source.target_revision,
        "KUBE_VERSION": req.kube_version,
        "KUBE_API_VERSIONS": ",".join(req.api_versions),
    }
