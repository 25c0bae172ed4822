"""Argo CD's ``networkingInfo`` of Services, Ingresses and Pods, and the children a managed
workload owns: the pure rules behind the resource tree's Network view."""

from __future__ import annotations

from typing import Any

from argosy.server.networking import networking_info, owned_children
from argosy.server.resourcetree import kinds_to_list


def _obj(api_version: str, kind: str, name: str, **rest: Any) -> dict[str, Any]:
    meta = {"name": name, "namespace": "shop", **rest.pop("metadata", {})}
    return {"apiVersion": api_version, "kind": kind, "metadata": meta, **rest}


def _owned(
    api_version: str, kind: str, name: str, owner_kind: str, owner: str, owner_api: str
) -> dict[str, Any]:
    ref = {"apiVersion": owner_api, "kind": owner_kind, "name": owner, "controller": True}
    return _obj(api_version, kind, name, metadata={"ownerReferences": [ref]})


def test_a_service_targets_its_selector_and_shows_its_load_balancer() -> None:
    svc = _obj(
        "v1",
        "Service",
        "web",
        spec={"selector": {"app": "web"}},
        status={"loadBalancer": {"ingress": [{"ip": "10.1.2.3"}, {"hostname": "lb.example.com"}]}},
    )
    assert networking_info(svc) == {
        "targetLabels": {"app": "web"},
        "ingress": [{"ip": "10.1.2.3"}, {"hostname": "lb.example.com"}],
    }
    assert networking_info(_obj("v1", "Service", "headless", spec={})) == {}


def test_an_ingress_names_its_backend_services_and_external_urls() -> None:
    ing = _obj(
        "networking.k8s.io/v1",
        "Ingress",
        "web",
        spec={
            "defaultBackend": {"service": {"name": "fallback", "port": {"number": 80}}},
            "tls": [{"hosts": ["shop.example.com"]}],
            "rules": [
                {
                    "host": "shop.example.com",
                    "http": {"paths": [{"path": "/api", "backend": {"service": {"name": "api"}}}]},
                },
                {"http": {"paths": [{"path": "/", "backend": {"service": {"name": "web"}}}]}},
            ],
        },
        status={"loadBalancer": {"ingress": [{"ip": "192.0.2.7"}]}},
    )
    info = networking_info(ing)
    assert info is not None
    assert [r["name"] for r in info["targetRefs"]] == ["fallback", "api", "web"]
    assert info["targetRefs"][0] == {"group": "", "kind": "Service", "namespace": "shop", "name": "fallback"}
    assert info["externalURLs"] == ["https://shop.example.com/api", "http://192.0.2.7/"]
    assert info["ingress"] == [{"ip": "192.0.2.7"}]
    old = _obj("extensions/v1beta1", "Ingress", "old", spec={"backend": {"serviceName": "legacy"}})
    assert networking_info(old) == {
        "targetRefs": [{"group": "", "kind": "Service", "namespace": "shop", "name": "legacy"}]
    }


def test_a_pod_carries_its_labels_and_other_kinds_nothing() -> None:
    pod = _obj("v1", "Pod", "web-1", metadata={"labels": {"app": "web", "tier": "front"}})
    assert networking_info(pod) == {"labels": {"app": "web", "tier": "front"}}
    assert networking_info(_obj("v1", "ConfigMap", "c")) is None
    assert networking_info(_obj("example.com/v1", "Service", "not-core")) is None


def test_children_are_what_a_managed_object_owns_through_the_chain() -> None:
    managed = {("apps", "Deployment", "shop", "web"), ("", "Pod", "shop", "bare")}
    rs = _owned("apps/v1", "ReplicaSet", "web-5d9", "Deployment", "web", "apps/v1")
    pod = _owned("v1", "Pod", "web-5d9-x", "ReplicaSet", "web-5d9", "apps/v1")
    stranger_rs = _owned("apps/v1", "ReplicaSet", "other-1", "Deployment", "other", "apps/v1")
    stranger_pod = _owned("v1", "Pod", "other-1-y", "ReplicaSet", "other-1", "apps/v1")
    orphan = _obj("v1", "Pod", "orphan")
    bare = _obj("v1", "Pod", "bare")  # managed itself: a node already, not a child
    children = owned_children(managed, [pod, stranger_pod, rs, stranger_rs, orphan, bare])
    assert [(c["metadata"]["name"], owner) for c, owner in children] == [
        ("web-5d9-x", ("apps", "ReplicaSet", "shop", "web-5d9")),
        ("web-5d9", ("apps", "Deployment", "shop", "web")),
    ]


def test_only_kinds_that_can_matter_are_listed() -> None:
    wanted = kinds_to_list(
        [
            ("apps", "Deployment", "shop", "web"),
            ("", "Service", "shop", "web"),
            ("extensions", "Ingress", "edge", "web"),
            ("", "ConfigMap", "conf", "c"),
            ("rbac.authorization.k8s.io", "ClusterRole", "", "r"),
        ]
    )
    assert wanted == {
        "shop": {("apps", "ReplicaSet"), ("batch", "Job"), ("", "Pod"), ("", "Service")},
        "edge": {("networking.k8s.io", "Ingress")},
        "conf": set(),
    }
