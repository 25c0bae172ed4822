"""A real node of the local cluster runs containers as any cluster does.

One Deployment of the locally built demo web image (readiness probe over HTTP), its Service
as ClusterIP and NodePort, and a busybox Pod: the web Pods turn Ready through the probe,
the busybox Pod resolves Service names through the cluster DNS and fetches the page over
the ClusterIP, the host fetches it through the NodePort, ``kubectl logs`` and ``kubectl
exec`` work, and a Pod reaches the API server at ``kubernetes.default.svc``. Pods without
the kwok toleration never land on the simulated node.
"""

from __future__ import annotations

import json
import urllib.request
import uuid
from collections.abc import Iterator

import pytest
import yaml

from support.cluster import ClusterHandle
from support.in_cluster import wait_for

WEB_IMAGE = "docker.io/argosy/demo-web:v1"
SHELL_IMAGE = "docker.io/library/busybox:argosy"


@pytest.fixture
def ns(real_cluster: ClusterHandle) -> Iterator[str]:
    name = f"rn-{uuid.uuid4().hex[:8]}"
    real_cluster.kubectl("create", "namespace", name)
    yield name
    real_cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)


def _workload(ns: str) -> list[dict[str, object]]:
    labels = {"app": "web"}
    probe = {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 1}
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": ns},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": WEB_IMAGE,
                            "imagePullPolicy": "IfNotPresent",
                            "ports": [{"containerPort": 8080}],
                            "readinessProbe": probe,
                        }
                    ]
                },
            },
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": ns},
        "spec": {"selector": labels, "ports": [{"port": 80, "targetPort": 8080}]},
    }
    nodeport = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web-nodeport", "namespace": ns},
        "spec": {"type": "NodePort", "selector": labels, "ports": [{"port": 80, "targetPort": 8080}]},
    }
    shell = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "shell", "namespace": ns},
        "spec": {
            "containers": [
                {
                    "name": "shell",
                    "image": SHELL_IMAGE,
                    "imagePullPolicy": "IfNotPresent",
                    "command": ["sh", "-c", "echo hello-from-a-real-container; exec sleep 3600"],
                }
            ],
            "terminationGracePeriodSeconds": 1,
        },
    }
    return [deployment, service, nodeport, shell]


def _json(cluster: ClusterHandle, *args: str) -> dict[str, object]:
    out = cluster.kubectl(*args, "-o", "json").stdout
    data: dict[str, object] = json.loads(out)
    return data


def test_a_deployment_runs_is_probed_and_serves_through_its_services(
    real_cluster: ClusterHandle, ns: str
) -> None:
    c = real_cluster
    c.kubectl("apply", "-f", "-", stdin=yaml.safe_dump_all(_workload(ns)))

    def available() -> bool:
        status = _json(c, "get", "deployment", "web", "-n", ns).get("status") or {}
        return isinstance(status, dict) and status.get("readyReplicas") == 2

    wait_for("web Pods Ready through their readiness probe", available, 120)
    c.kubectl("wait", "--for=condition=Ready", "pod/shell", "-n", ns, "--timeout=90s")

    pods = _json(c, "get", "pods", "-n", ns)["items"]
    assert isinstance(pods, list)
    nodes = {p["spec"]["nodeName"] for p in pods}
    assert nodes == {"real-node-0"}, f"Pods without the kwok toleration stay off kwok nodes: {nodes}"
    statuses = [cs for p in pods for cs in p["status"]["containerStatuses"]]
    assert all(cs["containerID"].startswith("containerd://") for cs in statuses), statuses

    # Logs and exec go through the API server to the kubelet and containerd.
    logs = c.kubectl("logs", "shell", "-n", ns).stdout
    assert "hello-from-a-real-container" in logs
    assert c.kubectl("exec", "shell", "-n", ns, "--", "sh", "-c", "echo $((6 * 7))").stdout.strip() == "42"

    # DNS: Services and the API server's name resolve inside a Pod.
    def lookup(name: str) -> str:
        return c.kubectl("exec", "shell", "-n", ns, "--", "nslookup", name).stdout

    web_ip = _json(c, "get", "service", "web", "-n", ns)["spec"]
    assert isinstance(web_ip, dict)
    assert web_ip["clusterIP"] in lookup(f"web.{ns}.svc.cluster.local")
    assert "10.96.0.1" in lookup("kubernetes.default.svc.cluster.local")

    # ClusterIP from a Pod, by name (search domains of the Pod's resolv.conf).
    page = c.kubectl("exec", "shell", "-n", ns, "--", "wget", "-qO-", "http://web/").stdout
    assert "v1" in page, page
    # The API server through its Service (what an in-cluster controller uses).
    # busybox's TLS lacks the API server's ECDSA suites, so the handshake is refused: by the API
    # server's TLS stack, reached through the Service's ClusterIP (a timeout or "connection
    # refused" would mean no route). Argosy's own image speaks TLS properly.
    answer = c.kubectl(
        "exec",
        "shell",
        "-n",
        ns,
        "--",
        "wget",
        "-qO-",
        "--no-check-certificate",
        "https://kubernetes.default.svc/version",
        check=False,
    )
    assert answer.returncode == 0 or "TLS error from peer" in answer.stderr, answer.stderr

    # NodePort from the host, on the node's address.
    spec = _json(c, "get", "service", "web-nodeport", "-n", ns)["spec"]
    assert isinstance(spec, dict)
    port = spec["ports"][0]["nodePort"]
    node = _json(c, "get", "node", "real-node-0")
    addresses = node["status"]["addresses"]  # type: ignore[index]
    node_ip = next(a["address"] for a in addresses if a["type"] == "InternalIP")
    with urllib.request.urlopen(f"http://{node_ip}:{port}/", timeout=10) as r:
        assert "v1" in r.read().decode()
