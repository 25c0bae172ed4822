"""KSOPS generators, expanded by Argosy.

A kustomization lists a generator config in ``generators:``::

    apiVersion: viaduct.ai/v1
    kind: ksops
    metadata:
      name: example-secret-generator
    files:                       # whole encrypted manifests, emitted decrypted
      - ./secret.enc.yaml
    secretFrom:                  # Secrets built from encrypted files
      - metadata: {name: app-secret, labels: {...}, annotations: {...}}
        type: Opaque
        files: [./config.json, key=./other.txt]   # stringData, file content as text
        binaryFiles: [./cert.der]                 # data, base64
        envs: [./app.enc.env]                     # stringData, one key per variable

:func:`generate` produces exactly what the ``ksops`` binary writes for that
config; kustomize then applies its generator rules to it, including the
``kustomize.config.k8s.io/needs-hash`` and ``kustomize.config.k8s.io/behavior``
annotations (merge / replace with an existing object). Paths are relative to
the kustomization and may not leave the repository.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from argosy.repo.errors import DecryptionError, PathEscapeError
from argosy.repo.paths import relative, resolve_in_root
from argosy.repo.sops import dotenv, formats
from argosy.repo.sops.decrypt import MAX_FILE_BYTES, Decryptor, Opened

GROUP = "viaduct.ai"
KIND = "ksops"
FUNCTION_ANNOTATION = "config.kubernetes.io/function"


def is_ksops(doc: Any) -> bool:
    return (
        isinstance(doc, dict)
        and doc.get("kind") == KIND
        and str(doc.get("apiVersion") or "").split("/")[0] == GROUP
    )


def _key_path(spec: str) -> tuple[str, str]:
    parts = spec.split("=")
    if len(parts) == 1:
        return Path(spec).name, spec
    if len(parts) > 2:
        raise DecryptionError(f"invalid format in file generator {spec!r} (expected [key=]path)")
    return parts[0], parts[1]


def _decrypt(dec: Decryptor, root: Path, base: Path, path: str, what: str) -> Opened:
    try:
        target = resolve_in_root(root, path, f"ksops {what}", base=base)
    except PathEscapeError as exc:
        raise DecryptionError(str(exc)) from None
    rel = relative(root, target)
    if not target.is_file():
        raise DecryptionError(f"ksops {what} {path!r}: {rel} does not exist")
    with target.open("rb") as fh:  # open_bytes refuses more than MAX_FILE_BYTES
        data = fh.read(MAX_FILE_BYTES + 1)
    return dec.open_bytes(data, rel, formats.format_for_path(path))


def _meta(raw: Any) -> dict[str, Any]:
    meta = raw if isinstance(raw, dict) else {}
    out: dict[str, Any] = {}
    for key in ("name", "namespace"):
        if meta.get(key):
            out[key] = str(meta[key])
    for key in ("labels", "annotations"):
        if isinstance(meta.get(key), dict) and meta[key]:
            out[key] = {str(k): str(v) for k, v in meta[key].items()}
    return out


def generate(config: dict[str, Any], base: Path, root: Path, dec: Decryptor) -> list[dict[str, Any]]:
    """The objects the ``ksops`` binary would emit for ``config`` (read relative to ``base``)."""
    name = str((config.get("metadata") or {}).get("name") or "")
    files = config.get("files")
    secret_from = config.get("secretFrom")
    if files is None and secret_from is None:
        raise DecryptionError(f"ksops generator {name!r}: missing the required 'files' or 'secretFrom' key")
    out: list[dict[str, Any]] = []
    for path in files or []:
        opened = _decrypt(dec, root, base, str(path), "files entry")
        docs = opened.branches if opened.format in ("yaml", "json") else []
        out += [doc for doc in docs if isinstance(doc, dict) and doc]
    for entry in secret_from or []:
        if not isinstance(entry, dict):
            continue
        string_data: dict[str, str] = {}
        data: dict[str, str] = {}
        for spec in entry.get("files") or []:
            key, path = _key_path(str(spec))
            opened = _decrypt(dec, root, base, path, "secretFrom.files entry")
            string_data[key] = opened.plaintext().decode("utf-8", errors="replace")
        for spec in entry.get("binaryFiles") or []:
            key, path = _key_path(str(spec))
            raw = _decrypt(dec, root, base, path, "secretFrom.binaryFiles entry").plaintext()
            data[key] = base64.b64encode(raw).decode()
        for path in entry.get("envs") or []:
            opened = _decrypt(dec, root, base, str(path), "secretFrom.envs entry")
            text = opened.plaintext().decode("utf-8", errors="replace")
            try:
                string_data.update(dotenv.parse(text))
            except ValueError as exc:
                raise DecryptionError(f"ksops secretFrom.envs {path!r}: {exc}") from None
        secret: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": _meta(entry.get("metadata")),
        }
        if entry.get("type"):
            secret["type"] = str(entry["type"])
        if string_data:
            secret["stringData"] = dict(sorted(string_data.items()))
        if data:
            secret["data"] = dict(sorted(data.items()))
        out.append(secret)
    return out
