"""Failures become Events and metrics with the Application untouched; the ImageUpdater resource works.

The updater runs in-process (its metrics are read directly) against Applications
created with the status a controller would have written (no controller here:
only the updater's behaviour is under test), in a throwaway namespace.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from updater_support import COFFEE, events

from argosy.controller.bootstrap import ensure_crds
from argosy.imageupdater.crd import ImageUpdaterResources
from argosy.imageupdater.registries import Registries
from argosy.imageupdater.updater import ImageUpdater
from argosy.kube.clients import KubeClient
from argosy.settings.clusters import in_cluster_config
from support.cluster import ClusterHandle
from support.oci_images import ImagePusher
from support.oci_registry import OciRegistry

PREFIX = "argocd-image-updater.argoproj.io"
USER = ("puller", "pull-pw")


@pytest.fixture(scope="module")
def private_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OciRegistry]:
    with OciRegistry(tmp_path_factory.mktemp("coffee-private"), auth=USER) as reg:
        pusher = ImagePusher(reg.url, auth=USER)
        for tag in ("v1", "v2"):
            pusher.push(COFFEE, tag)
        pusher.close()
        yield reg


def _client(cluster: ClusterHandle) -> KubeClient:
    client = KubeClient(in_cluster_config(cluster.kubeconfig))
    ensure_crds(client)
    return client


def _app(name: str, image: str, annotations: dict[str, str], labels: dict[str, str] | None = None) -> Any:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name, "annotations": annotations, "labels": labels or {}},
        "spec": {
            "project": "default",
            "source": {"repoURL": "https://example.invalid/c.git", "path": "chart", "targetRevision": "HEAD"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "default"},
        },
        "status": {"sourceType": "Helm", "summary": {"images": [f"{image}:v1"]}},
    }


def _registries(*regs: OciRegistry) -> Registries:
    entries = [{"name": r.host, "prefix": r.host, "api_url": r.url} for r in regs]
    return Registries.parse(yaml.safe_dump({"registries": entries}))


def _create(cluster: ClusterHandle, namespace: str, *objects: dict[str, Any]) -> None:
    for obj in objects:
        obj["metadata"]["namespace"] = namespace
    cluster.kubectl("apply", "-f", "-", stdin=yaml.safe_dump_all(objects))


def _get(cluster: ClusterHandle, namespace: str, kind: str, name: str) -> dict[str, Any]:
    out = cluster.kubectl("get", kind, name, "-n", namespace, "-o", "json").stdout
    return dict(json.loads(out))


def test_each_failure_is_an_event_and_a_metric_and_nothing_is_written(
    cluster: ClusterHandle,
    namespace: str,
    coffee_registry: OciRegistry,
    private_registry: OciRegistry,
    tmp_path: Path,
) -> None:
    client = _client(cluster)
    pusher = ImagePusher(coffee_registry.url)
    config = pusher._blob("team/broken", b"not json")
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": 8},
        "layers": [],
    }
    pusher._manifest("team/broken", "v1", json.dumps(manifest).encode(), manifest["mediaType"])
    pusher.close()
    public, private = f"{coffee_registry.host}/{COFFEE}", f"{private_registry.host}/{COFFEE}"
    docker_config = json.dumps({"auths": {private_registry.host: {"auth": "cHVsbGVyOnB1bGwtcHc="}}})
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "kubernetes.io/dockerconfigjson",
        "metadata": {"name": "regcred"},
        "stringData": {".dockerconfigjson": docker_config},
    }
    broken = f"{coffee_registry.host}/team/broken"
    missing = f"{coffee_registry.host}/team/missing"
    _create(
        cluster,
        namespace,
        secret,
        _app("ok", public, {f"{PREFIX}/image-list": f"{public}:vx"}),
        _app("unauthorized", private, {f"{PREFIX}/image-list": f"{private}:vx"}),
        _app(
            "pulled",
            private,
            {
                f"{PREFIX}/image-list": f"c={private}:vx",
                f"{PREFIX}/c.pull-secret": f"pullsecret:{namespace}/regcred",
            },
        ),
        _app("missing", missing, {f"{PREFIX}/image-list": f"{missing}:vx"}),
        _app(
            "malformed",
            broken,
            {f"{PREFIX}/image-list": broken, f"{PREFIX}/update-strategy": "newest-build"},
        ),
        _app(
            "misconfigured",
            public,
            {f"{PREFIX}/image-list": f"{public}:vx", f"{PREFIX}/force-update": "maybe"},
        ),
    )
    before = {
        n: _get(cluster, namespace, "application", n)["spec"]
        for n in ("unauthorized", "missing", "malformed")
    }
    updater = ImageUpdater(client, namespace, registries=_registries(coffee_registry, private_registry))
    result = updater.run_once()
    updater.close()
    by_app = {o.app.split("/", 1)[1]: o for o in result.outcomes}
    assert by_app["ok"].updated and by_app["pulled"].updated
    for name, text in [
        ("unauthorized", "401"),
        ("missing", "404"),
        ("malformed", "image config is not JSON"),
        ("misconfigured", "force-update"),
    ]:
        assert any(text in e for e in by_app[name].errors), (name, by_app[name].errors)
        assert (
            updater.metrics.value(
                "argocd_image_updater_images_updated_error_total", application=f"{namespace}/{name}"
            )
            == 1
        )
        warnings = [e for e in events(cluster, namespace, name) if e["reason"] == "ImageUpdateFailed"]
        assert warnings and warnings[0]["type"] == "Warning", name
    for name, spec in before.items():
        assert _get(cluster, namespace, "application", name)["spec"] == spec, f"{name} must be untouched"
    ok = _get(cluster, namespace, "application", "ok")
    assert {p["name"]: p["value"] for p in ok["spec"]["source"]["helm"]["parameters"]}["image.tag"] == "v4"
    assert (
        updater.metrics.value("argocd_image_updater_images_updated_total", application=f"{namespace}/ok") == 1
    )
    assert (
        updater.metrics.value("argocd_image_updater_registry_requests_total", registry=private_registry.host)
        > 0
    )
    assert (
        updater.metrics.value(
            "argocd_image_updater_registry_requests_failed_total", registry=private_registry.host
        )
        >= 1
    )
    assert updater.metrics.value("argocd_image_updater_applications_watched_total") == 6


def test_an_image_updater_resource_selects_apps_and_reports_status(
    cluster: ClusterHandle, namespace: str, coffee_registry: OciRegistry
) -> None:
    image = f"{coffee_registry.host}/{COFFEE}"
    resource = {
        "apiVersion": "argocd-image-updater.argoproj.io/v1alpha1",
        "kind": "ImageUpdater",
        "metadata": {"name": "coffee"},
        "spec": {
            "commonUpdateSettings": {"updateStrategy": "semver"},
            "applicationRefs": [
                {
                    "namePattern": "coffee-*",
                    "labelSelectors": {"matchLabels": {"team": "coffee"}},
                    "images": [
                        {
                            "alias": "coffee",
                            "imageName": f"{image}:vx",
                            "commonUpdateSettings": {"ignoreTags": ["v4"]},
                            "manifestTargets": {"helm": {"name": "app1.image.name", "tag": "app1.image.tag"}},
                        }
                    ],
                }
            ],
        },
    }
    client = _client(cluster)
    _create(
        cluster,
        namespace,
        resource,
        _app("coffee-a", image, {}, {"team": "coffee"}),
        _app("coffee-b", image, {}, {"team": "tea"}),
    )
    updater = ImageUpdater(client, namespace, registries=_registries(coffee_registry))
    ImageUpdaterResources(client, namespace).attach(updater)
    result = updater.run_once()
    updater.close()
    assert result.errors == 0
    params = _get(cluster, namespace, "application", "coffee-a")["spec"]["source"]["helm"]["parameters"]
    assert {p["name"]: p["value"] for p in params} == {"app1.image.name": image, "app1.image.tag": "v3"}
    assert "helm" not in _get(cluster, namespace, "application", "coffee-b")["spec"]["source"]
    status = _get(cluster, namespace, "imageupdater", "coffee")["status"]
    assert (status["applicationsMatched"], status["imagesManaged"]) == (1, 1)
    assert status["recentUpdates"][0]["applicationName"] == f"{namespace}/coffee-a"
    assert status["recentUpdates"][0]["newVersion"] == "v3"
    assert status["conditions"][0]["type"] == "Ready" and status["conditions"][0]["status"] == "True"
    assert status["lastCheckedAt"]
