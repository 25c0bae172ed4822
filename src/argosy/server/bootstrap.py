"""First-start setup of ``argocd-secret``, done by whichever replica gets there first.

On start the server makes sure the control-plane namespace has:

* ``argocd-secret`` with ``server.secretkey`` (the JWT signing key);
* an ``admin`` password: when ``admin.password`` is missing, a random one is
  generated, its bcrypt hash and ``admin.passwordMtime`` stored in
  ``argocd-secret``, and the clear text in the Secret
  ``argocd-initial-admin-secret`` (key ``password``), exactly as Argo CD. Delete
  that Secret after changing the password;
* unless serving plain HTTP, a TLS certificate (``tls.crt``/``tls.key``).

Existing values are never replaced, so carrying ``argocd-secret`` over from Argo
CD keeps its passwords, tokens and certificate.
"""

from __future__ import annotations

import base64
import logging
import secrets
from datetime import UTC, datetime

from argosy.kube.errors import KubeError, http_status
from argosy.model.constants import INITIAL_ADMIN_SECRET
from argosy.server.auth.accounts import format_mtime
from argosy.server.auth.passwords import generate_password, hash_password
from argosy.server.kubeapi import KubeAPI, b64
from argosy.server.settings import SECRET, SIGNING_KEY, decode_secret
from argosy.server.tls import KEY_CERT, KEY_KEY, CertPair, check_pair, self_signed

_LABELS = {"app.kubernetes.io/name": SECRET, "app.kubernetes.io/part-of": "argocd"}
log = logging.getLogger(__name__)


def _ensure_secret_exists(kube: KubeAPI, namespace: str) -> None:
    if kube.get(namespace, "secrets", SECRET) is not None:
        return
    obj = {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {"name": SECRET, "namespace": namespace, "labels": dict(_LABELS)},
        "data": {},
    }
    try:
        kube.create(namespace, "secrets", obj)
    except KubeError as err:
        if http_status(err) != 409:
            raise


def _add_missing(kube: KubeAPI, namespace: str, values: dict[str, str]) -> dict[str, str]:
    """Add keys (already base64) that are still missing; returns what was actually added."""
    for _ in range(10):
        secret = kube.get(namespace, "secrets", SECRET) or {}
        data = dict(secret.get("data") or {})
        missing = {k: v for k, v in values.items() if k not in data}
        if not missing:
            return {}
        data.update(missing)
        secret["data"] = data
        try:
            kube.replace(namespace, "secrets", secret)
            return missing
        except KubeError as err:
            if http_status(err) != 409:
                raise
    raise RuntimeError(f"Secret {SECRET} in namespace {namespace}: too many concurrent updates at start")


def ensure_signing_key(kube: KubeAPI, namespace: str) -> None:
    _ensure_secret_exists(kube, namespace)
    key = base64.b64encode(secrets.token_urlsafe(32).encode()).decode()
    _add_missing(kube, namespace, {SIGNING_KEY: key})


def ensure_admin_password(kube: KubeAPI, namespace: str) -> str | None:
    """Create the initial admin password if none is set; returns it when this call created it."""
    _ensure_secret_exists(kube, namespace)
    if "admin.password" in decode_secret(kube.get(namespace, "secrets", SECRET)):
        return None
    password = generate_password()
    added = _add_missing(
        kube,
        namespace,
        {
            "admin.password": b64(hash_password(password)),
            "admin.passwordMtime": b64(format_mtime(datetime.now(UTC))),
        },
    )
    if "admin.password" not in added:
        return None  # another replica won the race; its password is the one in the initial secret
    initial = {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {"name": INITIAL_ADMIN_SECRET, "namespace": namespace},
        "data": {"password": b64(password)},
    }
    try:
        kube.create(namespace, "secrets", initial)
    except KubeError as err:
        if http_status(err) != 409:
            raise
        kube.replace(namespace, "secrets", initial)
    log.info("created the initial admin password in Secret %s/%s", namespace, INITIAL_ADMIN_SECRET)
    return password


def ensure_tls(kube: KubeAPI, namespace: str) -> CertPair:
    """The certificate to serve: the stored one, or a new self-signed one stored for next time."""
    _ensure_secret_exists(kube, namespace)
    data = decode_secret(kube.get(namespace, "secrets", SECRET))
    if data.get(KEY_CERT) and data.get(KEY_KEY):
        pair = CertPair(data[KEY_CERT], data[KEY_KEY])
        problem = check_pair(pair)
        if problem is None:
            return pair
        raise RuntimeError(
            f"Secret {SECRET} in namespace {namespace}: {problem}; fix tls.crt/tls.key, "
            "or delete both keys to get a self-signed certificate"
        )
    pair = self_signed()
    _add_missing(kube, namespace, {KEY_CERT: b64(pair.cert_pem), KEY_KEY: b64(pair.key_pem)})
    data = decode_secret(kube.get(namespace, "secrets", SECRET))
    return CertPair(data[KEY_CERT], data[KEY_KEY])


def bootstrap(kube: KubeAPI, namespace: str, *, tls: bool) -> CertPair | None:
    ensure_signing_key(kube, namespace)
    ensure_admin_password(kube, namespace)
    return ensure_tls(kube, namespace) if tls else None
