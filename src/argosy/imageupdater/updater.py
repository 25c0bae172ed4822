"""The image updater's cycle: list Applications, check their images, write back, report.

Every ``interval`` (2 minutes by default) or once (``--once``):

1. read ``registries.conf`` (ConfigMap ``argocd-image-updater-config``) and the
   Applications of every namespace the updater may list (apps in any namespace);
2. take each Application's configuration from its annotations, or from the
   ``ImageUpdater`` resources selecting it;
3. check the Applications concurrently (``--max-concurrency``), each registry's
   tag list read once per cycle;
4. write the changes back (``argocd``: patch the Application's source with its
   ``resourceVersion``, so a concurrent edit wins and the change is retried next
   cycle; ``git``: commit, then refresh the Application at once);
5. record an Event on the Application for each update and each failure, and
   the metrics.

Nothing is written for an image whose check failed, and a failure never stops
the cycle: it is an Event (reason ``ImageUpdateFailed``) and a metric.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from argosy.appstate.settings import ControllerSettings
from argosy.imageupdater import annotations as ann
from argosy.imageupdater.appupdate import Plan, plan
from argosy.imageupdater.config import AppConfig
from argosy.imageupdater.credentials import CredentialResolver
from argosy.imageupdater.metrics import UpdaterMetrics
from argosy.imageupdater.overrides import WriteBackError, apply_changes
from argosy.imageupdater.registries import CONFIG_KEY, CONFIGMAP, Registries, RegistryConfigError
from argosy.imageupdater.scan import Scanner
from argosy.kube.clients import KubeClient
from argosy.kube.errors import KubeApiError, KubeError
from argosy.kube.events import record_event
from argosy.model.constants import ANNOTATION_REFRESH
from argosy.repo.errors import RepoError

log = logging.getLogger(__name__)
Obj = dict[str, Any]
COMPONENT = "argocd-image-updater"
UPDATED, FAILED = "ImagesUpdated", "ImageUpdateFailed"
APPS_PATH = "/apis/argoproj.io/v1alpha1"

#: Commits a Git write-back: (app, config, plan) -> what was committed ("" when the repository
#: already holds the tags). Raises on failure.
GitWriter = Callable[[Obj, AppConfig, Plan], str]
#: Finds the configuration of apps without annotations (the ImageUpdater resources).
ConfigSource = Callable[[list[Obj]], dict[str, AppConfig]]


def app_key(app: Obj) -> str:
    meta = app.get("metadata") or {}
    return f"{meta.get('namespace', '')}/{meta.get('name', '')}"


@dataclass
class AppOutcome:
    app: str
    updated: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


@dataclass
class CycleResult:
    outcomes: list[AppOutcome] = field(default_factory=list)
    seconds: float = 0.0
    error: str = ""

    @property
    def updated(self) -> int:
        return sum(len(o.updated) for o in self.outcomes)

    @property
    def errors(self) -> int:
        return sum(len(o.errors) for o in self.outcomes) + (1 if self.error else 0)


class ImageUpdater:
    def __init__(
        self,
        client: KubeClient,
        namespace: str = "argocd",
        *,
        registries: Registries | None = None,
        max_concurrency: int = 10,
        metrics: UpdaterMetrics | None = None,
        git_writer: GitWriter | None = None,
        config_source: ConfigSource | None = None,
        dry_run: bool = False,
    ) -> None:
        self.client = client
        self.namespace = namespace
        self.metrics = metrics or UpdaterMetrics()
        self._fixed_registries = registries
        self.max_concurrency = max_concurrency
        self.git_writer = git_writer
        self.config_source = config_source
        self.dry_run = dry_run
        #: Called with each cycle's result (the ImageUpdater resources write their status).
        self.after_cycle: Callable[[CycleResult], None] | None = None
        self.scanner = Scanner(
            registries or Registries(),
            CredentialResolver(self._read_secret),
            hook=self.metrics.registry_request,
        )

    # --- cluster reads ---------------------------------------------------------------------------
    def _read_secret(self, namespace: str, name: str) -> Mapping[str, Any] | None:
        try:
            found: Obj = self.client.request("GET", f"/api/v1/namespaces/{namespace}/secrets/{name}")
            return found
        except KubeApiError as exc:
            if exc.not_found:
                return None
            raise

    def _registries(self) -> Registries:
        if self._fixed_registries is not None:
            return self._fixed_registries
        return Registries.parse(self._configmap_data(CONFIGMAP).get(CONFIG_KEY, ""))

    def _configmap_data(self, name: str) -> dict[str, str]:
        try:
            cm = self.client.request("GET", f"/api/v1/namespaces/{self.namespace}/configmaps/{name}")
        except KubeApiError as exc:
            if exc.not_found:
                return {}
            raise
        return {str(k): str(v) for k, v in ((cm or {}).get("data") or {}).items()}

    def list_applications(self) -> list[Obj]:
        """The Applications Argosy manages: the control-plane namespace's and those of the namespaces
        ``application.namespaces`` allows (apps in any namespace), as the controller decides."""
        settings = ControllerSettings.from_configmap_data(
            self._configmap_data("argocd-cm"), self.namespace, self._configmap_data("argocd-cmd-params-cm")
        )
        if not settings.app_namespaces:
            path = f"{APPS_PATH}/namespaces/{self.namespace}/applications"
        else:
            path = f"{APPS_PATH}/applications"
        found = self.client.request("GET", path, kind="Application")
        items = list((found or {}).get("items") or [])
        return [
            a for a in items if settings.manages_namespace(str((a.get("metadata") or {}).get("namespace")))
        ]

    # --- the cycle -------------------------------------------------------------------------------
    def configs(self, apps: list[Obj]) -> tuple[dict[str, AppConfig], dict[str, str]]:
        """(config per app key, configuration error per app key)."""
        configs: dict[str, AppConfig] = {}
        errors: dict[str, str] = {}
        for app in apps:
            annotations = (app.get("metadata") or {}).get("annotations") or {}
            if not ann.has_image_list(annotations):
                continue
            try:
                configs[app_key(app)] = ann.app_config(annotations, app_key(app))
            except ann.AnnotationError as exc:
                errors[app_key(app)] = str(exc)
        if self.config_source is not None:
            rest = [a for a in apps if app_key(a) not in configs and app_key(a) not in errors]
            configs.update(self.config_source(rest))
        return configs, errors

    def run_once(self) -> CycleResult:
        started = time.monotonic()
        result = CycleResult()
        try:
            self.scanner.registries = self._registries()
            apps = self.list_applications()
        except (KubeError, RegistryConfigError) as exc:
            result.error = str(exc)
            log.error("image updater cycle failed: %s", exc)
            return result
        self.scanner.new_cycle()
        configs, config_errors = self.configs(apps)
        by_key = {app_key(a): a for a in apps}
        self.metrics.applications_watched.set(len(configs) + len(config_errors))
        for key, message in config_errors.items():
            self._event(by_key[key], FAILED, f"image updater configuration: {message}", "Warning")
            self.metrics.images_errors.labels(key).inc()
            result.outcomes.append(AppOutcome(key, errors=[message]))
        with ThreadPoolExecutor(max_workers=max(1, self.max_concurrency)) as pool:
            outcomes = pool.map(lambda k: self._process(by_key[k], configs[k]), sorted(configs))
            result.outcomes.extend(outcomes)
        result.seconds = time.monotonic() - started
        if self.after_cycle is not None and not self.dry_run:
            self.after_cycle(result)
        log.info(
            "image updater cycle: %d applications, %d images updated, %d errors in %.1fs",
            len(configs),
            result.updated,
            result.errors,
            result.seconds,
        )
        return result

    def run(self, stop: threading.Event, interval: float) -> None:
        while not stop.is_set():
            try:
                self.run_once()
            except Exception:  # a bug in one cycle must not end the updater: the next cycle tries again
                log.exception("image updater cycle failed")
            stop.wait(interval)

    def close(self) -> None:
        self.scanner.close()

    # --- one application -------------------------------------------------------------------------
    def _event(self, app: Obj, reason: str, message: str, type_: str = "Normal") -> None:
        if not self.dry_run:
            record_event(self.client, app, reason, message, type_, COMPONENT)

    def _process(self, app: Obj, config: AppConfig) -> AppOutcome:
        key = app_key(app)
        outcome = AppOutcome(key)
        try:
            checked = plan(app, config, self.scanner, self.namespace)
        except Exception as exc:  # a bug must not stop the other apps' updates
            log.exception("image updater: %s", key)
            checked = Plan(errors=[f"internal error: {exc}"])
        self.metrics.images_watched.labels(key).set(checked.watched)
        outcome.skipped = checked.skipped
        for message in checked.errors:
            outcome.errors.append(message)
            self.metrics.images_errors.labels(key).inc()
            self._event(app, FAILED, message, "Warning")
        if not checked.changes:
            return outcome
        described = [
            f"{c.new.full_name}: {c.old_tag or '(unknown)'} -> {c.tag_text}" for c, _ in checked.changes
        ]
        method = ((config.write_back.method if config.write_back else None) or "argocd").strip()
        note = ""
        try:
            if self.dry_run:
                written = True
            elif method == "argocd":
                written = self._write_argocd(app, checked)
            elif method == "git" or method.startswith("git:"):
                if self.git_writer is None:
                    raise WriteBackError("write-back-method git is not available in this updater")
                committed = self.git_writer(app, config, checked)
                written = bool(committed)  # "": the repository already holds these tags
                note = f" ({committed})"
                if written:
                    self._refresh(app)
            else:
                raise WriteBackError(f"write-back-method {method!r} is unknown: use argocd or git[:secret]")
        except (WriteBackError, KubeError, RepoError) as exc:
            message = f"could not write {', '.join(described)}: {exc}"
            outcome.errors.append(message)
            self.metrics.images_errors.labels(key).inc()
            self._event(app, FAILED, message, "Warning")
            return outcome
        if written:
            outcome.updated = described
            self.metrics.images_updated.labels(key).inc(len(described))
            self._event(app, UPDATED, f"Successfully updated application {key}: {'; '.join(described)}{note}")
            log.info("image updater: %s: %s (%s)", key, "; ".join(described), method)
        return outcome

    def _write_argocd(self, app: Obj, checked: Plan) -> bool:
        spec, annotations, changed = apply_changes(app, checked.changes)
        if not changed:
            return False  # already overridden, waiting for a sync: nothing to write
        meta = app.get("metadata") or {}
        field_name = "sources" if (app.get("spec") or {}).get("sources") else "source"
        patch: Obj = {
            "metadata": {"resourceVersion": meta.get("resourceVersion")},
            "spec": {field_name: spec[field_name]},
        }
        if annotations:
            patch["metadata"]["annotations"] = annotations
        self.client.request(
            "PATCH",
            f"{APPS_PATH}/namespaces/{meta.get('namespace')}/applications/{meta.get('name')}",
            body=patch,
            content_type="application/merge-patch+json",
            kind="Application",
        )
        return True

    def _refresh(self, app: Obj) -> None:
        """Ask the controller to re-read Git now: the commit must not wait for the next poll."""
        meta = app.get("metadata") or {}
        self.client.request(
            "PATCH",
            f"{APPS_PATH}/namespaces/{meta.get('namespace')}/applications/{meta.get('name')}",
            body={"metadata": {"annotations": {ANNOTATION_REFRESH: "normal"}}},
            content_type="application/merge-patch+json",
            kind="Application",
        )
