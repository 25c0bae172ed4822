"""Keys for the offline CLI: ``--key-secret``, ``--age-key-file``, ``--gpg-home`` and the environment.

``argosy admin sops check`` and ``argosy admin app render`` accept the same
flags. Without any, they use what KSOPS and sops users already have set:
``$SOPS_AGE_KEY_FILE`` (or ``$SOPS_AGE_KEY``, or sops's default
``~/.config/sops/age/keys.txt``) and ``$GNUPGHOME`` (or ``~/.gnupg`` when it
exists). ``--key-secret NAMESPACE/NAME`` reads a key Secret from the cluster
of the current kubeconfig context.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from argosy.repo.sops.keys import Key, KeyMaterial, keys_from_secret


def _default_age_file() -> Path:
    config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return config / "sops" / "age" / "keys.txt"


def local_keys(
    key_secrets: list[str],
    age_key_files: list[Path],
    gpg_home: str | None,
    read_secret: Callable[[str, str], dict[str, Any] | None] | None = None,
) -> KeyMaterial:
    """The key material the flags (or, without flags, the environment) name; ValueError on a bad flag."""
    material = KeyMaterial(helm_values=True)
    for ref in key_secrets:
        namespace, _, name = ref.rpartition("/")
        if not namespace or not name:
            raise ValueError(f"--key-secret {ref!r}: expected NAMESPACE/NAME")
        if read_secret is None:
            raise ValueError("--key-secret needs a cluster (kubeconfig)")
        secret = read_secret(namespace, name)
        if secret is None:
            raise ValueError(f"--key-secret {ref}: Secret not found")
        material.keys += keys_from_secret(secret, ref)
    for path in age_key_files:
        try:
            material.keys.append(Key("age", str(path), path.read_text(encoding="utf-8")))
        except OSError as exc:
            raise ValueError(f"--age-key-file {path}: {exc.strerror}") from None
    if gpg_home:
        material.gnupg_home = gpg_home
    if key_secrets or age_key_files or gpg_home:
        return material
    env_file = os.environ.get("SOPS_AGE_KEY_FILE")
    if env_file and Path(env_file).is_file():
        material.keys.append(Key("age", "$SOPS_AGE_KEY_FILE", Path(env_file).read_text(encoding="utf-8")))
    elif os.environ.get("SOPS_AGE_KEY"):
        material.keys.append(Key("age", "$SOPS_AGE_KEY", os.environ["SOPS_AGE_KEY"]))
    elif _default_age_file().is_file():
        material.keys.append(Key("age", str(_default_age_file()), _default_age_file().read_text("utf-8")))
    home = os.environ.get("GNUPGHOME") or str(Path.home() / ".gnupg")
    if Path(home).is_dir():
        material.gnupg_home = home
    return material


def read_cluster_secret(kubeconfig: str | None) -> Callable[[str, str], dict[str, Any] | None]:
    """A Secret reader over the kubeconfig's current context."""

    def read(namespace: str, name: str) -> dict[str, Any] | None:
        from kubernetes import client, config

        api = config.new_client_from_config(config_file=kubeconfig)  # type: ignore[no-untyped-call]
        try:
            found = client.CoreV1Api(api).read_namespaced_secret(name, namespace)
        except client.ApiException as exc:
            if exc.status == 404:
                return None
            raise
        result: dict[str, Any] = api.sanitize_for_serialization(found)
        return result

    return read
