"""What the resource tree says about traffic and children: Argo CD's ``networkingInfo`` and
the objects a managed workload owns.

Argo CD's *Network* view draws Ingress -> Service -> Pods from each tree node's
``networkingInfo``: a Service's ``targetLabels`` (its selector), an Ingress's
``targetRefs`` (the Services its backends name) and ``externalURLs``, a Pod's
``labels``; load balancer addresses as ``ingress``. Pods are not in
``status.resources`` (the app does not manage them), so the tree also carries
the ReplicaSets, Jobs and Pods whose ``ownerReferences`` lead to a managed
object, each with ``parentRefs``, as Argo CD's tree does. Everything here is a
pure function of objects already read (:mod:`argosy.server.resourcetree` reads
them), so the rules are tested without a cluster.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from argosy.server.podlogs import MAX_OWNER_DEPTH, ObjKey, group_of, key_of

Obj = dict[str, Any]

INGRESS_GROUPS = ("networking.k8s.io", "extensions")


def _lb_ingress(obj: Mapping[str, Any]) -> list[dict[str, str]]:
    items = (((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress")) or []
    out = []
    for item in items:
        if isinstance(item, dict):
            one = {k: str(item[k]) for k in ("ip", "hostname") if item.get(k)}
            if one:
                out.append(one)
    return out


def _backend_service(backend: Any) -> str:
    """The Service a backend names: ``service.name`` (networking.k8s.io/v1) or ``serviceName``."""
    if not isinstance(backend, dict):
        return ""
    service = backend.get("service")
    if isinstance(service, dict) and service.get("name"):
        return str(service["name"])
    return str(backend.get("serviceName") or "")


def _ingress_info(obj: Mapping[str, Any]) -> Obj:
    spec = obj.get("spec") or {}
    namespace = str((obj.get("metadata") or {}).get("namespace") or "")
    names: list[str] = []
    backends = [spec.get("defaultBackend"), spec.get("backend")]
    tls_hosts = {str(h) for t in spec.get("tls") or [] if isinstance(t, dict) for h in t.get("hosts") or []}
    lb = _lb_ingress(obj)
    urls: list[str] = []
    for rule in spec.get("rules") or []:
        if not isinstance(rule, dict):
            continue
        host = str(rule.get("host") or "")
        paths = [p for p in ((rule.get("http") or {}).get("paths") or []) if isinstance(p, dict)]
        backends += [p.get("backend") for p in paths]
        # A rule without a host answers on the load balancer's address, as Argo CD shows it.
        hosts = [host] if host else [a.get("hostname") or a.get("ip", "") for a in lb]
        for h in hosts:
            scheme = "https" if h in tls_hosts else "http"
            for p in paths or [{}]:
                url = f"{scheme}://{h}{p.get('path') or '/'}"
                if h and url not in urls:
                    urls.append(url)
    for backend in backends:
        name = _backend_service(backend)
        if name and name not in names:
            names.append(name)
    info: Obj = {
        "targetRefs": [{"group": "", "kind": "Service", "namespace": namespace, "name": n} for n in names]
    }
    if lb:
        info["ingress"] = lb
    if urls:
        info["externalURLs"] = urls
    return info


def networking_info(obj: Mapping[str, Any]) -> Obj | None:
    """Argo CD's ``networkingInfo`` of a live Service, Ingress or Pod; None for other kinds."""
    group = group_of(str(obj.get("apiVersion") or ""))
    kind = obj.get("kind")
    if group == "" and kind == "Service":
        info: Obj = {}
        selector = (obj.get("spec") or {}).get("selector")
        if isinstance(selector, dict) and selector:
            info["targetLabels"] = {str(k): str(v) for k, v in selector.items()}
        if _lb_ingress(obj):
            info["ingress"] = _lb_ingress(obj)
        return info
    if group in INGRESS_GROUPS and kind == "Ingress":
        return _ingress_info(obj)
    if group == "" and kind == "Pod":
        labels = (obj.get("metadata") or {}).get("labels") or {}
        return {"labels": {str(k): str(v) for k, v in labels.items()}}
    return None


def _controller_ref(obj: Mapping[str, Any]) -> ObjKey | None:
    meta = obj.get("metadata") or {}
    refs = [r for r in meta.get("ownerReferences") or [] if isinstance(r, dict)]
    ref = next((r for r in refs if r.get("controller")), refs[0] if refs else None)
    if ref is None:
        return None
    group = group_of(str(ref.get("apiVersion") or ""))
    return (group, str(ref.get("kind") or ""), str(meta.get("namespace") or ""), str(ref.get("name") or ""))


def owned_children(managed: set[ObjKey], candidates: Iterable[Mapping[str, Any]]) -> list[tuple[Obj, ObjKey]]:
    """The candidates (ReplicaSets, Jobs, Pods...) whose owner chain reaches a managed object,
    each with its direct owner; objects the app manages itself are not children."""
    by_key = {key_of(c): c for c in candidates}
    parent = {key: _controller_ref(obj) for key, obj in by_key.items()}

    def reaches(key: ObjKey) -> bool:
        for _ in range(MAX_OWNER_DEPTH):
            owner = parent.get(key)
            if owner is None:
                return False
            if owner in managed:
                return True
            key = owner
        return False

    out = []
    for key, obj in sorted(by_key.items()):
        owner = parent[key]
        if key not in managed and owner is not None and reaches(key):
            out.append((dict(obj), owner))
    return out


def ref_dict(key: ObjKey) -> dict[str, str]:
    group, kind, namespace, name = key
    return {"group": group, "kind": kind, "namespace": namespace, "name": name}
