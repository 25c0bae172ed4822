"""Which key Secrets an Application's render may decrypt with (pure: the caller reads Secrets).

Key Secrets live in the control-plane namespace (``argocd``); their entries
named ``*.agekey`` hold age identities and ``*.asc`` armored PGP private keys.
The Secrets used for an Application are, first match wins:

1. the Application's annotation ``argosy.io/sops-key-secrets: a,b``;
2. its AppProject's annotation ``argosy.io/sops-key-secrets``;
3. ``argocd-cm`` ``sops.keySecrets`` (comma- or newline-separated);
4. otherwise ``sops-age`` and ``sops-gpg`` when they exist (the Flux guide's
   and the KSOPS tutorial's names).

An AppProject may restrict its apps with ``argosy.io/sops-allowed-key-secrets``
(comma-separated globs): an Application that names a Secret outside the list
is refused with an InvalidSpec error; Secrets from the defaults outside the
list are silently not used. Other options: the Application annotation
``argosy.io/sops-helm-values: "true"`` opts in to SOPS-encrypted Helm value
files, and ``argocd-cm`` ``sops.ksops: exec`` lets a real ``ksops`` binary run
when ``kustomize.buildOptions`` allows exec plugins (default ``native``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from argosy.engine.glob import glob_match
from argosy.repo.sops.keys import KeyMaterial, keys_from_secret

KEY_SECRETS = "argosy.io/sops-key-secrets"
ALLOWED_KEY_SECRETS = "argosy.io/sops-allowed-key-secrets"
HELM_VALUES = "argosy.io/sops-helm-values"
CM_KEY_SECRETS = "sops.keySecrets"
CM_KSOPS = "sops.ksops"
DEFAULT_KEY_SECRETS = ("sops-age", "sops-gpg")

Obj = dict[str, Any]


def _names(value: Any) -> list[str]:
    return [n.strip() for n in str(value or "").replace("\n", ",").split(",") if n.strip()]


def _annotations(obj: Obj | None) -> dict[str, Any]:
    return ((obj or {}).get("metadata") or {}).get("annotations") or {}


def key_material(
    app: Obj,
    project: Obj | None,
    argocd_cm: dict[str, str],
    get_secret: Callable[[str], Obj | None],
    namespace: str = "argocd",
) -> KeyMaterial:
    """The keys and options for rendering ``app``; ``ValueError`` when the app names a forbidden Secret."""
    app_names = _names(_annotations(app).get(KEY_SECRETS))
    project_names = _names(_annotations(project).get(KEY_SECRETS))
    configured = _names(argocd_cm.get(CM_KEY_SECRETS))
    names = app_names or project_names or configured or list(DEFAULT_KEY_SECRETS)
    explicit = bool(app_names or project_names or configured)
    allowed = _names(_annotations(project).get(ALLOWED_KEY_SECRETS))
    material = KeyMaterial(
        helm_values=str(_annotations(app).get(HELM_VALUES, "")).lower() == "true",
        ksops_mode="exec" if argocd_cm.get(CM_KSOPS, "").strip() == "exec" else "native",
    )
    project_name = str(((project or {}).get("metadata") or {}).get("name") or "")
    for name in names:
        if allowed and not any(glob_match(pattern, name) for pattern in allowed):
            if app_names:
                raise ValueError(
                    f"SOPS key Secret {name!r} is not allowed in project {project_name!r} "
                    f"(its {ALLOWED_KEY_SECRETS} annotation allows {', '.join(allowed)})"
                )
            continue
        secret = get_secret(name)
        if secret is None:
            if explicit:
                material.notes.append(f"key Secret {namespace}/{name} not found")
            continue
        keys = keys_from_secret(secret, f"{namespace}/{name}")
        if not keys and explicit:
            material.notes.append(f"key Secret {namespace}/{name} has no *.agekey or *.asc entry")
        material.keys += keys
    return material
