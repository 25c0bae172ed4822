"""The tutorial's flow end to end: a Helm app deploying the coffee image at ``v1``, the annotation
added, ``argosy image-updater --once`` sets ``image.tag`` to ``v4``, auto-sync deploys it.

Also the custom-keys variant (``coffee-image.helm.image-name: app1.image.name``), a Kustomize app,
a multi-source app, a plain directory app (``argosy.io/image-overrides``), and the failure path
(registry down: an Event, the app untouched).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from updater_support import COFFEE, RunUpdater, events

from support.cluster import ClusterHandle
from support.controller import RunningController, health_status, sync_status
from support.gitrepo import GitRepo

PREFIX = "argocd-image-updater.argoproj.io"
DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  replicas: 1
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
        - name: coffee
          image: {image}
"""
FILES = {
    "chart/Chart.yaml": "apiVersion: v2\nname: coffee\nversion: 0.1.0\n",
    "chart/values.yaml": f"image:\n  name: {COFFEE}\n  tag: v1\n",
    "chart/templates/deploy.yaml": DEPLOY.format(
        name="{{ .Release.Name }}", image="{{ .Values.image.name }}:{{ .Values.image.tag }}"
    ),
    "chart-app1/Chart.yaml": "apiVersion: v2\nname: coffee-app1\nversion: 0.1.0\n",
    "chart-app1/values.yaml": f"app1:\n  image:\n    name: {COFFEE}\n    tag: v1\n",
    "chart-app1/templates/deploy.yaml": DEPLOY.format(
        name="{{ .Release.Name }}", image="{{ .Values.app1.image.name }}:{{ .Values.app1.image.tag }}"
    ),
    "kustomize/kustomization.yaml": "resources: [deploy.yaml]\n",
    "kustomize/deploy.yaml": DEPLOY.format(name="coffee-k", image=f"{COFFEE}:v1"),
    "values/coffee.yaml": "image:\n  tag: v1\n",
    "plain/deploy.yaml": DEPLOY.format(name="coffee-dir", image=f"{COFFEE}:v1"),
}


def _app(
    ctl: RunningController, name: str, annotations: dict[str, str], auto: bool = True, **source: Any
) -> None:
    spec: dict[str, Any] = {
        "project": "default",
        "destination": {"server": "https://kubernetes.default.svc", "namespace": ctl.namespace},
        **source,
    }
    if auto:
        spec["syncPolicy"] = {"automated": {}}
    ctl.apply_app(name, spec, annotations=annotations)


def _images(app: dict[str, Any]) -> list[str]:
    return list(((app.get("status") or {}).get("summary") or {}).get("images") or [])


def _deployed(ctl: RunningController, name: str, tag: str) -> dict[str, Any]:
    return ctl.wait_app(
        name,
        lambda a: (
            sync_status(a) == "Synced" and health_status(a) == "Healthy" and _images(a) == [f"{COFFEE}:{tag}"]
        ),
        f"Synced, Healthy and running {COFFEE}:{tag}",
        timeout=90,
    )


def _params(app: dict[str, Any], index: int | None = None) -> dict[str, str]:
    spec = app["spec"]
    source = spec["sources"][index] if index is not None else spec["source"]
    return {p["name"]: p["value"] for p in (source.get("helm") or {}).get("parameters") or []}


def test_tutorial_flow_and_its_variants(
    cluster: ClusterHandle, ctl: RunningController, run_updater: RunUpdater, tmp_path: Path
) -> None:
    repo = GitRepo(tmp_path / "coffee.git")
    repo.commit(FILES)
    url = f"file://{repo.bare}"
    _app(ctl, "coffee", {}, source={"repoURL": url, "path": "chart", "targetRevision": "HEAD"})
    _app(
        ctl,
        "coffee-app1",
        {
            f"{PREFIX}/image-list": f"coffee-image={COFFEE}:vx",
            f"{PREFIX}/coffee-image.helm.image-name": "app1.image.name",
            f"{PREFIX}/coffee-image.helm.image-tag": "app1.image.tag",
        },
        auto=False,
        source={"repoURL": url, "path": "chart-app1", "targetRevision": "HEAD"},
    )
    ctl.cluster.kubectl(
        "patch", "application", "coffee-app1", "-n", ctl.namespace, "--type=merge", "-p",
        json.dumps({"operation": {"sync": {"revision": ""}}}),
    )  # fmt: skip
    _app(
        ctl,
        "coffee-k",
        {f"{PREFIX}/image-list": f"{COFFEE}:vx"},
        source={"repoURL": url, "path": "kustomize", "targetRevision": "HEAD"},
    )
    _app(
        ctl,
        "coffee-multi",
        {f"{PREFIX}/image-list": f"{COFFEE}:vx"},
        sources=[
            {
                "repoURL": url,
                "path": "chart",
                "targetRevision": "HEAD",
                "helm": {"valueFiles": ["$values/values/coffee.yaml"]},
            },
            {"repoURL": url, "targetRevision": "HEAD", "ref": "values"},
        ],
    )
    _app(
        ctl,
        "coffee-dir",
        {f"{PREFIX}/image-list": f"{COFFEE}:vx"},
        source={"repoURL": url, "path": "plain", "targetRevision": "HEAD"},
    )
    for name in ("coffee", "coffee-app1", "coffee-k", "coffee-multi", "coffee-dir"):
        _deployed(ctl, name, "v1")

    # Before the annotation, the updater leaves the tutorial's app alone.
    run_updater()
    assert "helm" not in ctl.app("coffee")["spec"]["source"]

    # The admin adds the tutorial's annotation.
    cluster.kubectl(
        "annotate", "application", "coffee", "-n", ctl.namespace, f"{PREFIX}/image-list={COFFEE}:vx"
    )
    out = run_updater().stdout
    assert f"{ctl.namespace}/coffee: updated {COFFEE}: v1 -> v4" in out, out

    app = _deployed(ctl, "coffee", "v4")  # auto-sync deploys the new tag
    assert _params(app) == {"image.name": COFFEE, "image.tag": "v4"}
    live = json.loads(
        cluster.kubectl("get", "deployment", "coffee", "-n", ctl.namespace, "-o", "json").stdout
    )
    assert live["spec"]["template"]["spec"]["containers"][0]["image"] == f"{COFFEE}:v4"
    reasons = [e["reason"] for e in events(cluster, ctl.namespace, "coffee")]
    assert "ImagesUpdated" in reasons

    # The custom keys variant is manual: it turns OutOfSync with the new parameters.
    app = ctl.wait_app("coffee-app1", lambda a: sync_status(a) == "OutOfSync", "OutOfSync after the update")
    assert _params(app) == {"app1.image.name": COFFEE, "app1.image.tag": "v4"}

    app = _deployed(ctl, "coffee-k", "v4")
    assert app["spec"]["source"]["kustomize"]["images"] == [f"{COFFEE}:v4"]
    app = _deployed(ctl, "coffee-multi", "v4")
    assert _params(app, 0) == {"image.name": COFFEE, "image.tag": "v4"}
    assert "helm" not in app["spec"]["sources"][1]

    # A plain directory: the image override annotation, applied by the repo server to the workloads.
    app = _deployed(ctl, "coffee-dir", "v4")
    assert app["metadata"]["annotations"]["argosy.io/image-overrides"] == f"{COFFEE}:v4"
    assert app["spec"]["source"] == {"repoURL": url, "path": "plain", "targetRevision": "HEAD"}

    # A second cycle finds nothing new and writes nothing.
    watched = ("coffee", "coffee-k", "coffee-multi", "coffee-dir")
    versions = {n: ctl.app(n)["metadata"]["resourceVersion"] for n in watched}
    assert "updated" not in run_updater().stdout
    assert {n: ctl.app(n)["metadata"]["resourceVersion"] for n in versions} == versions


def test_registry_down_is_an_event_and_the_app_is_untouched(
    cluster: ClusterHandle, ctl: RunningController, run_updater: RunUpdater, tmp_path: Path
) -> None:
    repo = GitRepo(tmp_path / "coffee.git")
    repo.commit(FILES)
    _app(
        ctl,
        "coffee-down",
        {f"{PREFIX}/image-list": f"127.0.0.1:9/{COFFEE}:vx"},
        source={"repoURL": f"file://{repo.bare}", "path": "chart", "targetRevision": "HEAD"},
    )
    ctl.wait_app("coffee-down", lambda a: sync_status(a) == "Synced", "Synced")
    # The deployed image must be the watched one for the updater to act: point the chart at it.
    param = {"name": "image.name", "value": f"127.0.0.1:9/{COFFEE}"}
    patch = {"spec": {"source": {"helm": {"parameters": [param]}}}}
    cluster.kubectl(
        "patch", "application", "coffee-down", "-n", ctl.namespace, "--type=merge", "-p", json.dumps(patch)
    )
    ctl.wait_app(
        "coffee-down", lambda a: _images(a) == [f"127.0.0.1:9/{COFFEE}:v1"], "running the watched image"
    )
    before = ctl.app("coffee-down")
    proc = run_updater(code=1)
    assert "coffee-down: error:" in proc.stderr and "127.0.0.1:9" in proc.stderr
    after = ctl.app("coffee-down")
    assert after["spec"] == before["spec"]
    failed = [e for e in events(cluster, ctl.namespace, "coffee-down") if e["reason"] == "ImageUpdateFailed"]
    assert failed and failed[0]["type"] == "Warning"
    assert "127.0.0.1:9" in str(failed[0]["message"])
