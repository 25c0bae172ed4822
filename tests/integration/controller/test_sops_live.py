"""SOPS-encrypted apps synced by the controller: decrypted Secrets in the cluster, clear text nowhere else."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from support.cluster import ClusterHandle
from support.controller import RunningController, operation_phase
from support.git_server import GitHttpServer
from support.sops import SopsKeys

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.25
          env:
            - {name: MODE, value: live-mode-5512}
"""
SECRET = (
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: live-db-password-8123\n"
)
ENV = "API_KEY=live-api-key-4471\n"
GENERATOR = """\
apiVersion: viaduct.ai/v1
kind: ksops
metadata:
  name: generator
  annotations:
    config.kubernetes.io/function: |
      exec:
        path: ksops
files:
  - ./deployment.enc.yaml
secretFrom:
  - metadata: {name: api}
    envs: [./api.enc.env]
"""
SECRET_VALUES = ("live-db-password-8123", "live-api-key-4471")


@pytest.fixture
def sops_keys(tmp_path: Path) -> Iterator[SopsKeys]:
    keys = SopsKeys(tmp_path / "keys")
    yield keys
    keys.close()


@pytest.fixture
def git_server(tmp_path: Path) -> Iterator[GitHttpServer]:
    with GitHttpServer(tmp_path / "git") as server:
        yield server


def _secret_data(cluster: ClusterHandle, namespace: str, name: str) -> dict[str, str]:
    out = cluster.kubectl("get", "secret", name, "-n", namespace, "-o", "json").stdout
    return {k: base64.b64decode(v).decode() for k, v in (json.loads(out).get("data") or {}).items()}


def test_encrypted_app_syncs_and_no_clear_value_leaves_the_cluster(
    cluster: ClusterHandle,
    git_server: GitHttpServer,
    sops_keys: SopsKeys,
    controller_factory: type[RunningController],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="argosy")
    repo = git_server.create_repo("encrypted")
    repo.commit(
        {
            "app/deployment.enc.yaml": sops_keys.encrypt(
                "deployment.yaml", DEPLOYMENT, "--encrypted-regex", "^(containers)$"
            ),
            "app/api.enc.env": sops_keys.encrypt("api.env", ENV),
            "app/secret.enc.yaml": sops_keys.encrypt(
                "secret.yaml", SECRET, "--encrypted-regex", "^stringData$"
            ),
            "app/secret-generator.yaml": GENERATOR,
            "app/kustomization.yaml": "resources: [secret.enc.yaml]\ngenerators: [./secret-generator.yaml]\n",
        }
    )
    ctl = controller_factory().start()
    dest = f"{ctl.namespace}-app"
    key_secret = {
        **sops_keys.age_secret("team-keys"),
        "metadata": {"name": "team-keys", "namespace": ctl.namespace},
    }
    ctl.cluster.kubectl("apply", "-f", "-", stdin=yaml.safe_dump(key_secret))
    ctl.set_argocd_cm({"installationID": ctl.namespace, "sops.keySecrets": "team-keys"})
    ctl.apply_app(
        "enc",
        {
            "project": "default",
            "source": {"repoURL": git_server.url("encrypted"), "path": "app", "targetRevision": "HEAD"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": dest},
            "syncPolicy": {"automated": {"prune": True}, "syncOptions": ["CreateNamespace=true"]},
        },
    )
    ctl.wait_app("enc", lambda a: operation_phase(a) == "Succeeded", "automated sync succeeded", 120)
    assert _secret_data(cluster, dest, "db") == {"password": "live-db-password-8123"}
    assert _secret_data(cluster, dest, "api") == {"API_KEY": "live-api-key-4471"}
    deployment = json.loads(cluster.kubectl("get", "deployment", "web", "-n", dest, "-o", "json").stdout)
    assert deployment["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"] == "live-mode-5512"

    # A file no configured key opens: a ComparisonError naming it; nothing applied, nothing pruned.
    other = SopsKeys(sops_keys.root / "other")
    try:
        repo.commit({"app/secret.enc.yaml": other.encrypt("secret.yaml", SECRET.replace("8123", "9999"))})
    finally:
        other.close()
    ctl.refresh("enc", wait=False)
    app = ctl.wait_app(
        "enc",
        lambda a: any(c["type"] == "ComparisonError" for c in a["status"].get("conditions") or []),
        "ComparisonError",
        90,
    )
    message = next(c["message"] for c in app["status"]["conditions"] if c["type"] == "ComparisonError")
    assert "app/secret.enc.yaml: cannot decrypt: no configured key opens it" in message
    assert "argocd-cm sops.keySecrets" in message
    assert _secret_data(cluster, dest, "db") == {"password": "live-db-password-8123"}
    assert _secret_data(cluster, dest, "api") == {"API_KEY": "live-api-key-4471"}

    # Clear values exist only in the destination's Secrets: not in the cache, the Application
    # (what the API serves), the events or the logs.
    places = {
        "application": json.dumps(ctl.app("enc")),
        "events": ctl.cluster.kubectl("get", "events", "-n", ctl.namespace, "-o", "json").stdout,
        "logs": caplog.text,
    }
    for path in ctl.repo.root.rglob("*"):
        if path.is_file():
            places[str(path)] = path.read_bytes().decode("utf-8", errors="replace")
    for where, text in places.items():
        for value in SECRET_VALUES:
            assert value not in text, f"{value} found in {where}"
