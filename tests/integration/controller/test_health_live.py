"""Health on the real cluster: rollouts, progress deadlines, load balancers, Lua health."""

from __future__ import annotations

import json
from typing import Any

import yaml

from support.cluster import ClusterHandle
from support.controller import RunningController, health_status, resource
from support.gitrepo import GitRepo

#: Generous deadlines: a busy machine (kwok and the API server at low priority) may take a
#: minute or more to make Pods available; the test is about health rules, not speed.
ROLLOUT_WAIT = 240.0


def _deployment(
    name: str, ns: str, replicas: int, progress_deadline: int = 600, **pod_spec: Any
) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "replicas": replicas,
            "progressDeadlineSeconds": progress_deadline,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": "registry.example/app:1"}], **pod_spec},
            },
        },
    }


CERT_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "certificates.cert-manager.io"},
    "spec": {
        "group": "cert-manager.io",
        "scope": "Namespaced",
        "names": {"plural": "certificates", "singular": "certificate", "kind": "Certificate"},
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "subresources": {"status": {}},
                "schema": {
                    "openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
                },
            }
        ],
    },
}
# The seed's cert-manager customization, in argocd-cm's single-key form.
CERT_HEALTH = """\
cert-manager.io/Certificate:
  health.lua: |
    hs = {}
    if obj.status ~= nil and obj.status.conditions ~= nil then
      for i, condition in ipairs(obj.status.conditions) do
        if condition.type == "Ready" and condition.status == "False" then
          hs.status = "Degraded"
          hs.message = condition.message
          return hs
        end
        if condition.type == "Ready" and condition.status == "True" then
          hs.status = "Healthy"
          hs.message = condition.message
          return hs
        end
      end
    end
    hs.status = "Progressing"
    hs.message = "Waiting for certificate"
    return hs
"""


def test_health_of_live_objects(
    cluster: ClusterHandle, namespace: str, git_repo: GitRepo, controller_factory: type[RunningController]
) -> None:
    cluster.kubectl("apply", "-f", "-", stdin=yaml.safe_dump(CERT_CRD))
    cluster.kubectl(
        "wait", "--for=condition=Established", "crd/certificates.cert-manager.io", "--timeout=60s"
    )
    cert = {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": "site", "namespace": namespace},
        "spec": {"secretName": "site-tls"},
    }
    lb = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "lb", "namespace": namespace},
        "spec": {"type": "LoadBalancer", "selector": {"app": "x"}, "ports": [{"port": 80}]},
    }
    files = {
        "app/web.yaml": yaml.safe_dump(_deployment("web", namespace, 3)),
        # No node matches: Pods stay Pending and the rollout passes its progress deadline.
        "app/stuck.yaml": yaml.safe_dump(
            _deployment("stuck", namespace, 1, progress_deadline=5, nodeSelector={"no": "such-node"})
        ),
        "app/lb.yaml": yaml.safe_dump(lb),
        "app/cert.yaml": yaml.safe_dump(cert),
    }
    git_repo.commit(files)
    for text in files.values():
        cluster.kubectl(
            "apply",
            "-f",
            "-",
            stdin=text.replace(
                "metadata:\n", "metadata:\n  labels: {app.kubernetes.io/instance: health}\n", 1
            ),
        )
    ctl = controller_factory().start(argocd_cm={"installationID": "", "resource.customizations": CERT_HEALTH})
    ctl.apply_app(
        "health",
        {
            "project": "default",
            "source": {"repoURL": f"file://{git_repo.bare}", "path": "app"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
        },
    )
    seen: set[str] = set()

    def web_healthy(app: dict[str, Any]) -> bool:
        status = resource(app, "Deployment", "web").get("health", {}).get("status", "")
        seen.add(status)
        return bool(status == "Healthy")

    ctl.wait_app("health", web_healthy, "web Deployment Healthy after its rollout", timeout=ROLLOUT_WAIT)
    app = ctl.wait_app(
        "health",
        lambda a: resource(a, "Deployment", "stuck").get("health", {}).get("status") == "Degraded",
        "stuck Deployment Degraded past its progress deadline",
        timeout=ROLLOUT_WAIT,
    )
    assert "exceeded its progress deadline" in resource(app, "Deployment", "stuck")["health"]["message"]
    assert resource(app, "Service", "lb")["health"]["status"] == "Progressing"
    assert resource(app, "Certificate", "site")["health"]["status"] == "Progressing"
    assert health_status(app) == "Degraded"

    def set_ready(status: str, message: str) -> None:
        body = {"status": {"conditions": [{"type": "Ready", "status": status, "message": message}]}}
        cluster.kubectl(
            "patch",
            "certificate",
            "site",
            "-n",
            namespace,
            "--subresource=status",
            "--type=merge",
            "-p",
            json.dumps(body),
        )

    set_ready("True", "Certificate is up to date")
    ctl.wait_app(
        "health",
        lambda a: resource(a, "Certificate", "site")["health"]["status"] == "Healthy",
        "cert Healthy",
        timeout=ROLLOUT_WAIT,
    )
    set_ready("False", "Issuing failed")
    app = ctl.wait_app(
        "health",
        lambda a: resource(a, "Certificate", "site")["health"]["status"] == "Degraded",
        "cert Degraded",
        timeout=ROLLOUT_WAIT,
    )
    assert resource(app, "Certificate", "site")["health"]["message"] == "Issuing failed"


def test_scaling_up_is_progressing_then_healthy(
    cluster: ClusterHandle, namespace: str, git_repo: GitRepo, controller_factory: type[RunningController]
) -> None:
    deploy = _deployment("grow", namespace, 1)
    deploy["metadata"]["labels"] = {"app.kubernetes.io/instance": "grow"}
    git_repo.commit({"app/grow.yaml": yaml.safe_dump(deploy)})
    cluster.kubectl("apply", "-f", "-", stdin=yaml.safe_dump(deploy))
    ctl = controller_factory().start(argocd_cm={"installationID": ""})  # adopts the kubectl-applied object
    ctl.apply_app(
        "grow",
        {
            "project": "default",
            "source": {"repoURL": f"file://{git_repo.bare}", "path": "app"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
            "ignoreDifferences": [
                {"group": "apps", "kind": "Deployment", "jsonPointers": ["/spec/replicas"]}
            ],
        },
    )
    ctl.wait_app(
        "grow", lambda a: health_status(a) == "Healthy", "Healthy at 1 replica", timeout=ROLLOUT_WAIT
    )
    # Scale with a Pod that cannot be placed yet, so the Progressing state is observable,
    # then make room and watch it complete.
    cluster.kubectl(
        "patch",
        "deployment",
        "grow",
        "-n",
        namespace,
        "--type=merge",
        "-p",
        '{"spec":{"replicas":4,"template":{"spec":{"nodeSelector":{"pool":"extra"}}}}}',
    )
    ctl.wait_app(
        "grow", lambda a: health_status(a) == "Progressing", "Progressing while scaling", timeout=ROLLOUT_WAIT
    )
    cluster.kubectl("label", "node", "kwok-node-0", "pool=extra", "--overwrite")
    try:
        ctl.wait_app(
            "grow", lambda a: health_status(a) == "Healthy", "Healthy after scaling", timeout=ROLLOUT_WAIT
        )
    finally:
        cluster.kubectl("label", "node", "kwok-node-0", "pool-", check=False)
