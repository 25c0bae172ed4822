"""Repositories that need a custom CA or a known host key sync through the controller.

The CA comes from ``argocd-tls-certs-cm`` and the host key from
``argocd-ssh-known-hosts-cm``, exactly as for ``argosy app manifests``: the
controller and the API server build the repo server's request in one place
(:mod:`argosy.appstate.inputs`). Before that, only the server passed the two
ConfigMaps, so these apps rendered in the CLI and failed in the controller.
"""

from __future__ import annotations

import yaml

from support.cluster import ClusterHandle
from support.controller import RunningController, health_status, sync_status
from support.git_server import GitHttpServer
from support.naming import GIT_USER, unique
from support.secrets import known_hosts_cm, repo_secret, tls_certs_cm
from support.ssh_server import SshServer

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  from: private-repo\n"


def _apply(cluster: ClusterHandle, ctl: RunningController, obj: dict[str, object]) -> None:
    meta = obj.setdefault("metadata", {})
    assert isinstance(meta, dict)
    meta["namespace"] = ctl.namespace
    cluster.kubectl("apply", "-f", "-", stdin=yaml.safe_dump(obj))


def _app_spec(url: str, namespace: str) -> dict[str, object]:
    return {
        "project": "default",
        "source": {"repoURL": url, "path": "app", "targetRevision": "main"},
        "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
        "syncPolicy": {"automated": {}},
    }


def _synced(ctl: RunningController, name: str) -> None:
    ctl.wait_app(
        name,
        lambda a: sync_status(a) == "Synced" and health_status(a) == "Healthy",
        "synced from the private repository",
        120,
    )


def test_https_repository_with_a_custom_ca_syncs(
    cluster: ClusterHandle,
    namespace: str,
    git_tls_server: GitHttpServer,
    controller_factory: type[RunningController],
) -> None:
    repo = unique("tls")
    git_tls_server.create_repo(repo).commit({"app/cm.yaml": CM.format(name="from-tls")})
    url = git_tls_server.url(repo)
    assert git_tls_server.tls is not None
    ctl = controller_factory().start()
    _apply(cluster, ctl, repo_secret(url=url, username=GIT_USER[0], password=GIT_USER[1]))
    ctl.apply_app("tls-app", _app_spec(url, namespace))
    ctl.wait_app(
        "tls-app",
        lambda a: "certificate" in str((a.get("status") or {}).get("conditions")),
        "refused without the CA",
    )
    _apply(cluster, ctl, tls_certs_cm({"127.0.0.1": git_tls_server.tls.ca_pem}))
    ctl.refresh("tls-app", wait=False)
    _synced(ctl, "tls-app")
    assert cluster.kubectl("get", "configmap", "from-tls", "-n", namespace).returncode == 0


def test_ssh_repository_whose_host_key_is_in_the_known_hosts_configmap_syncs(
    cluster: ClusterHandle,
    namespace: str,
    ssh_server: SshServer,
    controller_factory: type[RunningController],
) -> None:
    repo = unique("ssh")
    ssh_server.create_repo(repo).commit({"app/cm.yaml": CM.format(name="from-ssh")})
    url = ssh_server.url(repo)
    ctl = controller_factory().start()
    _apply(cluster, ctl, repo_secret(url=url, sshPrivateKey=ssh_server.client_key))
    ctl.apply_app("ssh-app", _app_spec(url, namespace))
    ctl.wait_app(
        "ssh-app",
        lambda a: "known-hosts" in str((a.get("status") or {}).get("conditions")),
        "refused without the host key",
    )
    _apply(cluster, ctl, known_hosts_cm(ssh_server.known_hosts_line()))
    ctl.refresh("ssh-app", wait=False)
    _synced(ctl, "ssh-app")
    assert cluster.kubectl("get", "configmap", "from-ssh", "-n", namespace).returncode == 0
