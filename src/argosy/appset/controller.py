"""``argosy applicationset-controller``: keeps each ApplicationSet's Applications generated.

Watches, not polling: ApplicationSets (control-plane namespace and the
``applicationsetcontroller.namespaces`` of ``argocd-cmd-params-cm``), cluster
Secrets (a label change requeues every set with a ``clusters`` generator, so
labelling a Secret creates its Application at once), AppProjects, and the
Applications the sets own (a hand edit is reverted, health changes reach
``status.resources``). Periodic regeneration (``requeueAfterSeconds``) is only
the safety net for generators that read outside Kubernetes (Git).

Safety beyond Argo CD: a failing generator never counts as "zero
Applications" (nothing is deleted while any generator fails); an invalid
generated app is reported, never deleted; and deleting at least
``deletion_min_count`` apps that are more than ``deletion_max_share`` of the
owned ones waits for ``argosy appset confirm-deletion`` (a condition says so).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from argosy.appset.events import REFRESH_ANNOTATION, appsets_for_cluster_secret, namespace_allowed
from argosy.appset.generate import GenerationResult, generate_applications
from argosy.appset.generators import GenerateContext, GitReader
from argosy.appset.gitreader import RepoGitReader
from argosy.appset.plan import Plan, finalizers_before_delete, needs_confirmation, plan
from argosy.appset.plugin import HttpPlugins
from argosy.appset.policy import effective_policy, permissions
from argosy.appset.progressive import (
    Rollout,
    is_rolling_sync,
    plan_rollout,
    sync_operation,
    without_automated_sync,
)
from argosy.appset.requeue import requeue_after_seconds
from argosy.appset.scm.http import HttpScm
from argosy.appset.status import (
    CONFIRM_DELETION_ANNOTATION,
    fresh_conditions,
    merged_conditions,
    resources,
    rollout_condition,
)
from argosy.appset.validate import destination_error, known_clusters
from argosy.appstate.inputs import REPO_CONFIGMAPS
from argosy.controller.apps import ObjectStore, app_key
from argosy.controller.queue import WorkQueue
from argosy.kube.clients import STRICT, KubeClient
from argosy.kube.errors import KubeApiError, KubeError
from argosy.kube.watcher import KindWatcher
from argosy.kube.wellknown import APPLICATIONS, APPLICATIONSETS, APPPROJECTS, CONFIGMAPS, SECRETS
from argosy.model.constants import KIND_APPLICATION_SET, RESOURCES_FINALIZER
from argosy.repo.service import RepoService
from argosy.sandbox.jq_pool import bounded_jq
from argosy.settings.repositories import SECRET_TYPE_LABEL, RepositoryStore

log = logging.getLogger(__name__)
Obj = dict[str, Any]
_APPS = "/apis/argoproj.io/v1alpha1/namespaces/{ns}/applications"
WRITE_CONCURRENCY = 8
_SETS = "/apis/argoproj.io/v1alpha1/namespaces/{ns}/applicationsets"


@dataclass
class AppSetSettings:
    namespace: str = "argocd"
    """The control-plane namespace (cluster Secrets, AppProjects)."""
    namespaces: list[str] = field(default_factory=list)
    """Other namespaces (names or globs) whose ApplicationSets are handled."""
    policy: str = ""
    """Controller-wide ``--policy``; '' = sync, and the sets' own policy may override."""
    allow_policy_override: bool = True
    requeue_env: str = ""
    deletion_min_count: int = 5
    deletion_max_share: float = 0.5
    workers: int = 2
    scm_providers_enabled: bool = True
    """``applicationsetcontroller.enable.scm.providers``."""
    allowed_scm_providers: list[str] = field(default_factory=list)
    """``applicationsetcontroller.allowed.scm.providers``: provider API URLs sets may name (empty: any)."""


def owner_of(app: Mapping[str, Any]) -> str | None:
    """``namespace/name`` of the ApplicationSet controlling an Application."""
    meta = app.get("metadata") or {}
    for ref in meta.get("ownerReferences") or []:
        if ref.get("controller") and ref.get("kind") == KIND_APPLICATION_SET:
            return f"{meta.get('namespace', '')}/{ref.get('name', '')}"
    return None


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class AppSetController:
    """Watches and workers; :meth:`reconcile` does one ApplicationSet."""

    def __init__(
        self,
        client: KubeClient,
        settings: AppSetSettings,
        repo: RepoService | None = None,
        git: GitReader | None = None,
    ) -> None:
        self.client = client
        self.settings = settings
        self.repo = repo
        self.git = git
        self.queue = WorkQueue()
        self.appsets = ObjectStore(self._appset_changed)
        self.apps = ObjectStore(self._app_changed)
        self.secrets = ObjectStore(self._secret_changed)
        self.projects = ObjectStore(lambda old, new: self._requeue_all())
        self.configmaps = ObjectStore(lambda old, new: None)
        all_namespaces = any(n == "*" or any(c in n for c in "*?[") for n in settings.namespaces)
        watched = [""] if all_namespaces else sorted({settings.namespace, *settings.namespaces})
        self._watchers = [
            *(KindWatcher(client, APPLICATIONSETS, self.appsets, namespace=ns) for ns in watched),
            *(KindWatcher(client, APPLICATIONS, self.apps, namespace=ns) for ns in watched),
            KindWatcher(client, SECRETS, self.secrets, namespace=settings.namespace),
            KindWatcher(client, APPPROJECTS, self.projects, namespace=settings.namespace),
            KindWatcher(client, CONFIGMAPS, self.configmaps, namespace=settings.namespace),
        ]
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self.reconciles = 0
        self.writes = 0

    # ------------------------------------------------------------------ events
    def _allowed(self, namespace: str) -> bool:
        return namespace == self.settings.namespace or namespace_allowed(namespace, self.settings.namespaces)

    def _appset_changed(self, old: Obj | None, new: Obj | None) -> None:
        obj = new or old or {}
        if not self._allowed(str((obj.get("metadata") or {}).get("namespace") or "")):
            return
        if old is not None and new is not None and _status_only(old, new):
            return
        self.queue.add(app_key(obj))

    def _app_changed(self, old: Obj | None, new: Obj | None) -> None:
        if old is not None and new is not None and _app_view(old) == _app_view(new):
            return  # e.g. reconciledAt or resource details: nothing the set shows or owns changed
        for obj in (old, new):
            owner = owner_of(obj) if obj else None
            if owner:
                self.queue.add(owner)

    def _secret_changed(self, old: Obj | None, new: Obj | None) -> None:
        appsets = self.appsets.items()
        allowed = [self.settings.namespace, *self.settings.namespaces]
        keys = set()
        for obj in (old, new):
            if obj is not None:
                keys.update(appsets_for_cluster_secret(obj, appsets, allowed))
        for key in keys:
            self.queue.add(key)

    def _requeue_all(self) -> None:
        for appset in self.appsets.items():
            self.queue.add(app_key(appset))

    # --------------------------------------------------------------- reconcile
    def generate(self, appset: Obj) -> GenerationResult:
        """What the set would produce now (also the API's dry run)."""
        secrets = self.secrets.items()
        projects = {str((p.get("metadata") or {}).get("name")): p for p in self.projects.items()}
        ctx = GenerateContext(
            cluster_secrets=secrets,
            git=self._git_reader(),
            app_projects=list(projects),
            plugins=HttpPlugins(self._configmap, self._secret),
            scm=HttpScm(self._secret),
            scm_providers_enabled=self.settings.scm_providers_enabled,
            allowed_scm_providers=self.settings.allowed_scm_providers,
        )
        return generate_applications(appset, ctx, known_clusters(secrets), projects, self.settings.namespace)

    def _configmap(self, name: str) -> Obj | None:
        return self.configmaps.get(f"{self.settings.namespace}/{name}")

    def _secret(self, name: str) -> Obj | None:
        return self.secrets.get(f"{self.settings.namespace}/{name}")

    def _git_reader(self) -> GitReader | None:
        """A fresh reader per pass (each repository listed once per pass), with the repository Secrets."""
        if self.git is not None or self.repo is None:
            return self.git
        objects = [
            s
            for s in self.secrets.items()
            if ((s.get("metadata") or {}).get("labels") or {}).get(SECRET_TYPE_LABEL)
            in ("repository", "repo-creds")
        ]
        for name in REPO_CONFIGMAPS:
            cm = self.configmaps.get(f"{self.settings.namespace}/{name}") or {}
            objects.append({"kind": "ConfigMap", "metadata": {"name": name}, "data": cm.get("data") or {}})
        return RepoGitReader(self.repo, RepositoryStore.from_objects(objects))

    def reconcile(self, key: str) -> float:
        """Bring one ApplicationSet's Applications up to date; returns seconds to the next timed run."""
        appset = self.appsets.get(key)
        self.reconciles += 1
        if appset is None:
            return 0.0
        meta = appset["metadata"]
        spec = appset.get("spec") or {}
        owned = [a for a in self.apps.items() if owner_of(a) == key and _uid_matches(a, meta.get("uid", ""))]
        sync_policy = spec.get("syncPolicy") or {}
        allowed = permissions(
            effective_policy(
                self.settings.policy, self.settings.allow_policy_override, sync_policy.get("applicationsSync")
            )
        )
        if meta.get("deletionTimestamp"):
            self._deleting(appset, owned, allowed.delete)
            return 0.0
        if not allowed.delete and RESOURCES_FINALIZER not in (meta.get("finalizers") or []):
            # So that deleting the set can first release its apps, which the policy keeps.
            finalizers = [*(meta.get("finalizers") or []), RESOURCES_FINALIZER]
            self._patch_appset(appset, {"metadata": {"finalizers": finalizers}})
        result = self.generate(appset)
        rolling = is_rolling_sync(appset)
        if rolling:
            result.applications = [without_automated_sync(a) for a in result.applications]
        may_delete = allowed.delete and not result.failed_generators
        steps = plan(
            appset, result.applications, owned, update=allowed.update, delete=may_delete, jq=bounded_jq()
        )
        steps.delete = [
            a
            for a in steps.delete
            if (a.get("metadata") or {}).get("name") not in result.invalid_applications
        ]
        note = self._deletion_gate(appset, steps, len(owned))
        self._apply(appset, steps)
        generator_errors = [e for e in result.errors if _is_generator_error(e, result)]
        app_errors = [e for e in result.errors if e not in generator_errors] + steps.errors
        live_specs = {a["metadata"]["name"]: a.get("spec") for a in owned}
        respecified = {
            str(a["metadata"]["name"])
            for a in steps.update
            if a.get("spec") != live_specs.get(a["metadata"]["name"])
        }
        rollout = self._roll(appset, key, respecified) if rolling else None
        self._write_status(appset, generator_errors, app_errors, note, rollout)
        if (meta.get("annotations") or {}).get(REFRESH_ANNOTATION):
            self._patch_appset(appset, {"metadata": {"annotations": {REFRESH_ANNOTATION: None}}})
        requeue = float(requeue_after_seconds(spec.get("generators") or [], self.settings.requeue_env))
        if result.errors and not requeue:
            requeue = 180.0
        return requeue

    def _deleting(self, appset: Obj, owned: list[Obj], delete_allowed: bool) -> None:
        """A set being deleted: under a policy that forbids deleting apps, release them first."""
        meta = appset["metadata"]
        if RESOURCES_FINALIZER not in (meta.get("finalizers") or []):
            return
        if not delete_allowed:
            for app in owned:
                refs = [
                    r
                    for r in app["metadata"].get("ownerReferences") or []
                    if not (r.get("kind") == KIND_APPLICATION_SET and r.get("uid") == meta.get("uid"))
                ]
                path = f"{_APPS.format(ns=app['metadata']['namespace'])}/{app['metadata']['name']}"
                patch = {"metadata": {"ownerReferences": refs or None}}
                self.client.request(
                    "PATCH", path, body=patch, content_type="application/merge-patch+json", kind="Application"
                )
                self._event(appset, "Normal", "released", f"kept Application {app['metadata']['name']!r}")
        finalizers = [f for f in meta.get("finalizers") or [] if f != RESOURCES_FINALIZER]
        self._patch_appset(appset, {"metadata": {"finalizers": finalizers or None}})

    def _deletion_gate(self, appset: Obj, steps: Plan, owned: int) -> str:
        """Hold a mass deletion until confirmed; returns the condition message ('' = proceed)."""
        count = len(steps.delete)
        if not needs_confirmation(
            count, owned, self.settings.deletion_min_count, self.settings.deletion_max_share
        ):
            return ""
        confirmed = ((appset["metadata"].get("annotations") or {}).get(CONFIRM_DELETION_ANNOTATION)) == str(
            count
        )
        if confirmed:
            return ""
        names = ", ".join(sorted(str(a["metadata"]["name"]) for a in steps.delete)[:10])
        steps.delete = []
        return (
            f"{count} of {owned} Applications would be deleted ({names}{', ...' if count > 10 else ''}); "
            f"nothing was deleted. If this is intended, run: argosy appset confirm-deletion "
            f"{appset['metadata']['name']}"
        )

    def _patch_appset(self, appset: Obj, patch: Obj) -> None:
        meta = appset["metadata"]
        self.client.request(
            "PATCH",
            f"{_SETS.format(ns=meta['namespace'])}/{meta['name']}",
            body=patch,
            content_type="application/merge-patch+json",
            kind="ApplicationSet",
        )

    def _apply(self, appset: Obj, steps: Plan) -> None:
        """Create, update, then delete; each kind of write in parallel (a set of 1,000 apps
        must not wait for 1,000 sequential round trips), one summarising Event per kind.

        Creates and updates are strict: a field the Application's schema does not know (a typo
        in a generator's ``template``, which the CRD leaves untyped, or in a ``templatePatch``)
        is refused with its path, becoming the set's error, rather than silently dropped."""
        ns = appset["metadata"]["namespace"]
        refused: dict[str, str] = {}  # name -> why; filled from the writer threads (one key each)

        def refusable(write: Callable[[Obj], None]) -> Callable[[Obj], None]:
            """A write the API server refuses (400, 422: the Application itself is wrong) is
            that Application's error on the set, as Argo CD reports it; the others still go."""

            def guarded(obj: Obj) -> None:
                try:
                    write(obj)
                except KubeApiError as exc:
                    if not exc.invalid:
                        raise  # not the object's fault: the whole reconcile is retried
                    refused[str(obj["metadata"]["name"])] = str(exc)

            return guarded

        @refusable
        def create(obj: Obj) -> None:
            target = obj["metadata"].get("namespace") or ns
            self.client.request("POST", _APPS.format(ns=target), query=STRICT, body=obj, kind="Application")

        @refusable
        def update(obj: Obj) -> None:
            path = f"{_APPS.format(ns=obj['metadata']['namespace'])}/{obj['metadata']['name']}"
            self.client.request("PUT", path, query=STRICT, body=obj, kind="Application")

        clusters = known_clusters(self.secrets.items()) if steps.delete else []

        def delete(obj: Obj) -> None:
            path = f"{_APPS.format(ns=obj['metadata']['namespace'])}/{obj['metadata']['name']}"
            valid = not destination_error((obj.get("spec") or {}).get("destination") or {}, clusters)
            kept = finalizers_before_delete(obj, valid)
            if kept != (obj["metadata"].get("finalizers") or None):
                rv = obj["metadata"].get("resourceVersion")
                patch = {"metadata": {"finalizers": kept, "resourceVersion": rv}}
                self.client.request(
                    "PATCH", path, body=patch, content_type="application/merge-patch+json", kind="Application"
                )
            try:
                self.client.request("DELETE", path, kind="Application")
            except KubeApiError as exc:
                if not exc.not_found:
                    raise

        for verb, objs, write in (
            ("created", steps.create, create),
            ("updated", steps.update, update),
            ("deleted", steps.delete, delete),
        ):
            if not objs:
                continue
            done = [o for o in self._parallel(write, objs) if o["metadata"]["name"] not in refused]
            self.writes += len(done)
            names = sorted(str(o["metadata"]["name"]) for o in done)
            more = f" and {len(names) - 10} more" if len(names) > 10 else ""
            noun = "Application" if len(names) == 1 else "Applications"
            if names:
                self._event(appset, "Normal", verb, f"{verb} {noun} {', '.join(names[:10])}{more}")
        steps.errors.extend(
            f"Application {name!r} was refused: {why}" for name, why in sorted(refused.items())
        )

    def _parallel(self, write: Callable[[Obj], None], objs: list[Obj]) -> list[Obj]:
        """Run ``write`` on every object (a few at a time); the written ones, or the first error."""
        if len(objs) == 1:
            write(objs[0])
            return objs
        done: list[Obj] = []
        error: Exception | None = None
        with ThreadPoolExecutor(max_workers=WRITE_CONCURRENCY, thread_name_prefix="appset-write") as pool:
            futures = {pool.submit(write, obj): obj for obj in objs}
            for future in as_completed(futures):
                try:
                    future.result()
                    done.append(futures[future])
                except (KubeError, ValueError) as exc:
                    error = error or exc
        if error is not None:
            self.writes += len(done)
            raise error
        return done

    def _roll(self, appset: Obj, key: str, respecified: set[str]) -> Rollout:
        """Start the syncs the rolling sync allows now (steps in order, ``maxUpdate`` at a time).

        ``respecified``: apps whose spec was just rewritten; the cache still shows their old status."""
        owned = [a for a in self.apps.items() if owner_of(a) == key]
        previous = (appset.get("status") or {}).get("applicationStatus") or []
        rollout = plan_rollout(appset, owned, previous, _now(), respecified)
        for name in rollout.to_sync:
            path = f"{_APPS.format(ns=appset['metadata']['namespace'])}/{name}"
            self.client.request(
                "PATCH",
                path,
                body={"operation": sync_operation()},
                content_type="application/merge-patch+json",
                kind="Application",
            )
            self._event(appset, "Normal", "RollingSync", f"started the sync of Application {name!r}")
        return rollout

    def _write_status(
        self,
        appset: Obj,
        generator_errors: list[str],
        app_errors: list[str],
        note: str,
        rollout: Rollout | None = None,
    ) -> None:
        meta = appset["metadata"]
        key = app_key(appset)
        previous = appset.get("status") or {}
        owned = [a for a in self.apps.items() if owner_of(a) == key]
        status = dict(previous)
        fresh = fresh_conditions(generator_errors, app_errors, note)
        if rollout is not None:
            fresh.append(rollout_condition(rollout.progressing))
            status["applicationStatus"] = rollout.statuses
        status["conditions"] = merged_conditions(previous.get("conditions") or [], fresh, _now())
        status["resources"] = resources(owned)
        status["resourcesCount"] = len(owned)
        if status == previous:
            return
        path = f"{_SETS.format(ns=meta['namespace'])}/{meta['name']}/status"
        self.client.request(
            "PATCH",
            path,
            body={"status": status},
            content_type="application/merge-patch+json",
            kind="ApplicationSet",
        )

    def _event(self, appset: Obj, type_: str, reason: str, message: str) -> None:
        meta = appset["metadata"]
        event = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"generateName": f"{meta['name']}.", "namespace": meta["namespace"]},
            "involvedObject": {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": KIND_APPLICATION_SET,
                "name": meta["name"],
                "namespace": meta["namespace"],
                "uid": meta.get("uid"),
            },
            "reason": reason,
            "message": message,
            "type": type_,
            "source": {"component": "applicationset-controller"},
            "firstTimestamp": _now(),
            "lastTimestamp": _now(),
            "count": 1,
        }
        try:
            self.client.request(
                "POST", f"/api/v1/namespaces/{meta['namespace']}/events", body=event, kind="Event"
            )
        except KubeError as exc:
            log.debug("could not record event for ApplicationSet %s: %s", meta["name"], exc)

    # ---------------------------------------------------------------- running
    def _worker(self) -> None:
        while not self._stop.is_set():
            key = self.queue.get(timeout=1.0)
            if key is None:
                continue
            started = time.monotonic()
            try:
                requeue = self.reconcile(key)
                self.queue.forget(key)
                if requeue:
                    self.queue.add_after(key, requeue)
                log.info("reconciled ApplicationSet %s in %.3fs", key, time.monotonic() - started)
            except (KubeError, ValueError) as exc:
                delay = self.queue.add_rate_limited(key)
                log.warning("ApplicationSet %s: %s; retrying in %.1fs", key, exc, delay)
            finally:
                self.queue.done(key)

    def start(self, wait: float = 30.0) -> None:
        for watcher in self._watchers:
            watcher.start()
        deadline = time.monotonic() + wait
        for watcher in self._watchers:
            watcher.synced.wait(max(0.0, deadline - time.monotonic()))
        for i in range(self.settings.workers):
            thread = threading.Thread(target=self._worker, name=f"appset-worker-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)
        self._requeue_all()

    def stop(self) -> None:
        self._stop.set()
        self.queue.shutdown()
        for watcher in self._watchers:
            watcher.stop()
        for thread in self._threads:
            thread.join(5.0)


def _app_view(app: Obj) -> tuple[Any, ...]:
    """What of an owned Application the set cares about: what it wrote, and the sync/health it shows."""
    meta = app.get("metadata") or {}
    status = app.get("status") or {}
    return (
        app.get("spec"),
        meta.get("labels"),
        meta.get("annotations"),
        meta.get("finalizers"),
        meta.get("ownerReferences"),
        meta.get("deletionTimestamp"),
        bool(app.get("operation")),
        (status.get("sync") or {}).get("status"),
        (status.get("health") or {}).get("status"),
        (status.get("operationState") or {}).get("phase"),
    )


def _status_only(old: Obj, new: Obj) -> bool:
    def view(o: Obj) -> tuple[Any, ...]:
        meta = o.get("metadata") or {}
        return (o.get("spec"), meta.get("labels"), meta.get("annotations"), meta.get("deletionTimestamp"))

    return view(old) == view(new)


def _uid_matches(app: Obj, uid: str) -> bool:
    refs = (app.get("metadata") or {}).get("ownerReferences") or []
    return any(r.get("controller") and (not uid or r.get("uid") == uid) for r in refs)


def _is_generator_error(error: str, result: GenerationResult) -> bool:
    """Errors of failed generators (or of the whole spec), as opposed to one invalid Application."""
    failed = tuple(f"generators[{i}]" for i in result.failed_generators)
    return error.startswith(failed) or error.startswith("spec.")
