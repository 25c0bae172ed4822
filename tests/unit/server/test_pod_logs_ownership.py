"""Which Pods a logs request may read: the owner chain must reach a resource the app manages."""

from __future__ import annotations

from typing import Any

from argosy.server.podlogs import belongs_to, default_container, key_of, owner_chain, parse_line

NS = "shop"


def _obj(api: str, kind: str, name: str, owner: tuple[str, str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": NS}
    if owner:
        meta["ownerReferences"] = [
            {"apiVersion": owner[0], "kind": owner[1], "name": owner[2], "controller": True}
        ]
    return {"apiVersion": api, "kind": kind, "metadata": meta}


DEPLOY = _obj("apps/v1", "Deployment", "web")
RS = _obj("apps/v1", "ReplicaSet", "web-5d8", ("apps/v1", "Deployment", "web"))
POD = _obj("v1", "Pod", "web-5d8-x1", ("apps/v1", "ReplicaSet", "web-5d8"))
LIVE = {key_of(o): o for o in (DEPLOY, RS)}


def _chain(pod: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    return [key_of(pod), *owner_chain(pod, NS, lambda g, k, n, nm: LIVE.get((g, k, n, nm)))]


def test_a_deployments_pod_belongs_to_the_app_managing_the_deployment() -> None:
    chain = _chain(POD)
    assert chain == [("", "Pod", NS, "web-5d8-x1"), ("apps", "ReplicaSet", NS, "web-5d8"), key_of(DEPLOY)]
    managed = {key_of(DEPLOY)}
    assert belongs_to(chain, managed)
    assert belongs_to(chain, managed, wanted=key_of(DEPLOY))
    assert belongs_to(chain, managed, wanted=key_of(RS))  # a ReplicaSet under the managed Deployment


def test_pods_of_other_owners_or_no_owner_are_refused() -> None:
    managed = {("apps", "Deployment", NS, "api")}
    assert not belongs_to(_chain(POD), managed)
    assert not belongs_to(_chain(_obj("v1", "Pod", "stranger")), {key_of(DEPLOY)})
    # Same name in another namespace is another object.
    assert not belongs_to(_chain(POD), {("apps", "Deployment", "other", "web")})
    # Asking for one workload never yields another's Pods, even in the same app.
    assert not belongs_to(_chain(POD), {key_of(DEPLOY), ("apps", "Deployment", NS, "api")},
                          wanted=("apps", "Deployment", NS, "api"))  # fmt: skip


def test_a_managed_pod_and_a_missing_owner() -> None:
    pod = _obj("v1", "Pod", "solo")
    assert belongs_to(_chain(pod), {key_of(pod)})
    orphan = _obj("v1", "Pod", "orphan", ("apps/v1", "ReplicaSet", "gone"))
    assert _chain(orphan) == [key_of(orphan), ("apps", "ReplicaSet", NS, "gone")]


def test_log_lines_and_default_container() -> None:
    line = parse_line("p", b"2026-12-02T22:00:00.123456789Z hello  world")
    assert (line.timestamp, line.content) == ("2026-12-02T22:00:00.123456789Z", "hello  world")
    assert parse_line("p", b"no stamp here").content == "no stamp here"
    pod = {"spec": {"containers": [{"name": "app"}, {"name": "sidecar"}]}}
    assert default_container(pod) == "app"
    pod["metadata"] = {"annotations": {"kubectl.kubernetes.io/default-container": "sidecar"}}
    assert default_container(pod) == "sidecar"
