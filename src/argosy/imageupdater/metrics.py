"""Prometheus metrics of the image updater, with Argo CD Image Updater's names.

* ``argocd_image_updater_applications_watched_total`` (gauge) and
  ``argocd_image_updater_images_watched_total{application}`` (gauge);
* ``argocd_image_updater_images_updated_total{application}`` and
  ``argocd_image_updater_images_updated_error_total{application}`` (counters);
* ``argocd_image_updater_registry_requests_total{registry}`` and
  ``argocd_image_updater_registry_requests_failed_total{registry}`` (counters),
  plus ``argocd_image_updater_registry_request_duration_seconds{registry}``
  (histogram, an Argosy addition: how slow each registry answers).

One registry per updater, so tests and several updaters in a process do not mix counts.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class UpdaterMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.applications_watched = Gauge(
            "argocd_image_updater_applications_watched_total",
            "Number of Applications the image updater watches.",
            registry=r,
        )
        self.images_watched = Gauge(
            "argocd_image_updater_images_watched_total",
            "Number of images watched per Application.",
            ["application"],
            registry=r,
        )
        self.images_updated = Counter(
            "argocd_image_updater_images_updated",
            "Number of images updated (written back) per Application.",
            ["application"],
            registry=r,
        )
        self.images_errors = Counter(
            "argocd_image_updater_images_updated_error",
            "Number of errors while checking or updating images, per Application.",
            ["application"],
            registry=r,
        )
        self.registry_requests = Counter(
            "argocd_image_updater_registry_requests",
            "Number of requests made to each registry.",
            ["registry"],
            registry=r,
        )
        self.registry_errors = Counter(
            "argocd_image_updater_registry_requests_failed",
            "Number of failed requests to each registry.",
            ["registry"],
            registry=r,
        )
        self.registry_latency = Histogram(
            "argocd_image_updater_registry_request_duration_seconds",
            "Duration of registry requests.",
            ["registry"],
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10),
            registry=r,
        )

    def registry_request(self, registry: str, ok: bool, seconds: float) -> None:
        """The scanner's request hook."""
        self.registry_requests.labels(registry).inc()
        if not ok:
            self.registry_errors.labels(registry).inc()
        self.registry_latency.labels(registry).observe(seconds)

    def value(self, name: str, **labels: str) -> float:
        """One sample's value (0 when absent): for tests and the benchmark."""
        return float(self.registry.get_sample_value(name, labels) or 0.0)
