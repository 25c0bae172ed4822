"""Writing a repository or credential-template Secret from an API request, one way for both routes.

``POST /api/v1/repositories`` and ``POST /api/v1/repocreds`` store what they are given the way
Argo CD does: a Secret labelled ``argocd.argoproj.io/secret-type`` (``repository`` or
``repo-creds``), values under ``stringData``, booleans as ``"true"``, an existing Secret for the
same URL replaced only with ``upsert`` (and ``update`` rights), never a value in an error.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from argosy.kube.errors import KubeError
from argosy.server.context import ServerContext
from argosy.server.errors import INVALID_ARGUMENT, APIError, from_kube
from argosy.settings.repositories import SECRET_TYPE_LABEL


def secret_name_for(url: str, prefix: str) -> str:
    """A stable Secret name for ``url`` (Argo CD's ``repo-<hash>`` / ``creds-<hash>``)."""
    return f"{prefix}-" + str(int(hashlib.sha256(url.encode()).hexdigest()[:8], 16))


def write_credential_secret(
    ctx: ServerContext,
    *,
    secret_type: str,
    name: str,
    url: str,
    fields: Mapping[str, Any],
    text_keys: Iterable[str],
    bool_keys: Iterable[str],
    replace: bool,
    may_update: Callable[[], None],
    what: str,
) -> dict[str, Any]:
    """Create (or, with ``replace``, overwrite after ``may_update`` passed) the Secret; returns it.

    ``what`` names the object in errors (``repository https://…``); ``may_update`` raises when the
    caller lacks the ``update`` right an overwrite needs.
    """
    string_data = {"url": url}
    string_data.update({k: str(fields[k]) for k in text_keys if fields.get(k)})
    string_data.update({k: "true" for k in bool_keys if fields.get(k)})
    secret: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {
            "name": name,
            "namespace": ctx.namespace,
            "labels": {SECRET_TYPE_LABEL: secret_type},
            "annotations": {"managed-by": "argocd.argoproj.io"},
        },
        "stringData": string_data,
    }
    try:
        if replace:
            may_update()
            ctx.kube.replace(ctx.namespace, "secrets", secret)
        else:
            ctx.kube.create(ctx.namespace, "secrets", secret)
    except KubeError as err:
        raise from_kube(err, what) from None
    return secret


def refuse_existing(what: str, existing: str) -> APIError:
    """The error for a create that would overwrite ``existing`` without ``upsert``."""
    return APIError(INVALID_ARGUMENT, f"{what} already exists (Secret {existing}): use upsert to replace it")
