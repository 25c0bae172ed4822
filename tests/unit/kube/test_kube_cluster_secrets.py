"""Cluster Secrets read exactly as Argo CD stores them, and the kubeconfig built from them."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from argosy.kube.clients import kubeconfig_dict
from argosy.settings.clusters import (
    IN_CLUSTER_NAME,
    IN_CLUSTER_SERVER,
    ClusterConfig,
    ClusterSecretError,
    cluster_from_secret,
    cluster_list,
    in_cluster_config,
)

CA = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def _b64(text: str | bytes) -> str:
    return base64.b64encode(text if isinstance(text, bytes) else text.encode()).decode()


def _secret(
    data: dict[str, str], *, string_data: dict[str, str] | None = None, name: str = "prod"
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": name,
            "namespace": "argocd",
            "labels": {"argocd.argoproj.io/secret-type": "cluster", "env": "prod"},
            "annotations": {"team": "payments"},
        },
        "data": {k: _b64(v) for k, v in data.items()},
        **({"stringData": string_data} if string_data else {}),
    }


def test_full_secret() -> None:
    config = {
        "bearerToken": "tok",
        "tlsClientConfig": {
            "caData": _b64(CA),
            "certData": _b64(b"CERT"),
            "keyData": _b64(b"KEY"),
            "insecure": False,
            "serverName": "api.internal",
        },
    }
    cluster = cluster_from_secret(
        _secret(
            {
                "name": "prod",
                "server": "https://prod.example.com:6443/",
                "config": json.dumps(config),
                "namespaces": "web, shop ,",
                "clusterResources": "true",
                "project": "payments",
            }
        )
    )
    assert cluster.server == "https://prod.example.com:6443"
    assert cluster.name == "prod"
    assert cluster.bearer_token == "tok"
    assert cluster.tls.ca_data == CA and cluster.tls.cert_data == b"CERT" and cluster.tls.key_data == b"KEY"
    assert cluster.tls.server_name == "api.internal"
    assert cluster.namespaces == ("web", "shop")
    assert cluster.cluster_resources and cluster.project == "payments"
    assert cluster.labels["env"] == "prod" and cluster.annotations == {"team": "payments"}
    assert cluster.secret_name == "prod"
    assert "tok" not in repr(cluster) and "KEY" not in repr(cluster)


def test_string_data_basic_auth_and_exec_provider() -> None:
    config = {
        "username": "admin",
        "password": "pw",
        "tlsClientConfig": {"insecure": True},
        "execProviderConfig": {
            "command": "argocd-k8s-auth",
            "args": ["aws", "--cluster-name", "x"],
            "env": {"AWS_REGION": "eu-west-1"},
            "apiVersion": "client.authentication.k8s.io/v1beta1",
        },
    }
    cluster = cluster_from_secret(
        _secret({}, string_data={"server": "https://eks.example.com", "config": json.dumps(config)})
    )
    assert cluster.name == "" and cluster.display_name == "https://eks.example.com"
    assert cluster.username == "admin" and cluster.password == "pw" and cluster.tls.insecure
    assert cluster.exec_provider is not None
    assert cluster.exec_provider.args == ("aws", "--cluster-name", "x")
    kc = kubeconfig_dict(cluster)
    user = kc["users"][0]["user"]
    assert user["username"] == "admin" and user["exec"]["command"] == "argocd-k8s-auth"
    assert user["exec"]["env"] == [{"name": "AWS_REGION", "value": "eu-west-1"}]
    assert kc["clusters"][0]["cluster"] == {
        "server": "https://eks.example.com",
        "insecure-skip-tls-verify": True,
    }


def test_kubeconfig_carries_tls_and_token() -> None:
    config = {"bearerToken": "t", "tlsClientConfig": {"caData": _b64(CA), "serverName": "sni"}}
    cluster = cluster_from_secret(_secret({"server": "https://a", "config": json.dumps(config)}))
    kc = kubeconfig_dict(cluster)
    assert kc["clusters"][0]["cluster"]["certificate-authority-data"] == _b64(CA)
    assert kc["clusters"][0]["cluster"]["tls-server-name"] == "sni"
    assert kc["users"][0]["user"] == {"token": "t"}


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"name": "x"}, "key 'server' is required"),
        ({"server": "https://a", "config": "{not json"}, "key 'config': not valid JSON"),
        ({"server": "https://a", "config": "[]"}, "expected a JSON object"),
        ({"server": "https://a", "config": '{"tlsClientConfig": {"caData": "%%%"}}'}, "caData: not base64"),
        (
            {"server": "https://a", "config": '{"tlsClientConfig": {"certData": "QQ=="}}'},
            "certData and keyData",
        ),
        ({"server": "https://a", "config": '{"execProviderConfig": {"args": []}}'}, "'command' is required"),
    ],
)
def test_bad_secrets_name_secret_and_key(data: dict[str, str], fragment: str) -> None:
    with pytest.raises(ClusterSecretError) as err:
        cluster_from_secret(_secret(data, name="broken"))
    assert "'broken'" in str(err.value) and fragment in str(err.value)


def test_bad_base64_in_data() -> None:
    secret = _secret({"server": "https://a"})
    secret["data"]["name"] = "%%%"
    with pytest.raises(ClusterSecretError, match="key 'name': not valid base64"):
        cluster_from_secret(secret)


def test_cluster_list_merges_in_cluster_and_reports_bad_secrets(tmp_path: Path) -> None:
    base = in_cluster_config(kubeconfig=tmp_path / "kubeconfig", context="ctx")
    secrets = [
        _secret({"server": "https://a", "name": "a", "config": '{"bearerToken": "t"}'}, name="a"),
        _secret({"name": "a"}, name="missing-server"),
        {"kind": "Secret", "metadata": {"name": "other", "labels": {}}, "data": {}},
        _secret({"server": "https://a", "name": "dup"}, name="dup"),
    ]
    clusters = cluster_list(secrets, in_cluster=base)
    assert [c.display_name for c in clusters.clusters] == [IN_CLUSTER_NAME, "a"]
    assert len(clusters.errors) == 2
    assert "missing-server" in clusters.errors[0] and "already registered" in clusters.errors[1]
    assert clusters.resolve(server=IN_CLUSTER_SERVER).kubeconfig == tmp_path / "kubeconfig"
    assert clusters.resolve(name="a").server == "https://a"
    with pytest.raises(
        LookupError, match="no cluster with name 'b' is registered \\(known: a, in-cluster\\)"
    ):
        clusters.resolve(name="b")
    with pytest.raises(LookupError, match="sets both server and name"):
        clusters.resolve(server="https://a", name="a")


def test_in_cluster_secret_without_credentials_renames_it(tmp_path: Path) -> None:
    base = in_cluster_config(kubeconfig=tmp_path / "kc")
    secret = _secret({"server": IN_CLUSTER_SERVER, "name": "local", "namespaces": "web"}, name="in")
    clusters = cluster_list([secret], in_cluster=base)
    assert len(clusters.clusters) == 1
    only: ClusterConfig = clusters.clusters[0]
    assert only.name == "local" and only.kubeconfig == tmp_path / "kc" and only.namespaces == ("web",)


def test_in_cluster_can_be_disabled(tmp_path: Path) -> None:
    clusters = cluster_list(
        [], in_cluster=in_cluster_config(kubeconfig=tmp_path / "kc"), in_cluster_enabled=False
    )
    assert clusters.clusters == ()


def test_outside_a_cluster_in_cluster_is_the_kubeconfig(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "a") + ":" + str(tmp_path / "b"))
    cfg = in_cluster_config()
    assert cfg.server == IN_CLUSTER_SERVER and cfg.name == IN_CLUSTER_NAME
    assert cfg.kubeconfig == tmp_path / "a" and not cfg.in_cluster
