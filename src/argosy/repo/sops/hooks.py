"""The small SOPS steps inside the Directory and Helm renderers and after every render.

- :func:`directory_text`: a manifest file with SOPS metadata is decrypted
  (MAC checked) before it is parsed.
- :func:`helm_value_file`: with the Application's opt-in, a value file that is
  a SOPS file is decrypted into the render's private directory (0600) and
  that copy is given to ``helm template`` (helm-secrets users' ``secrets.yaml``).
- :func:`finish`: after any renderer, an object that still carries SOPS
  metadata is decrypted whole (verified against its MAC, so an object kustomize
  transformed after decryption failed is refused rather than guessed), and an
  object that still holds ``ENC[AES256_GCM,…]`` values fails the render: a
  still-encrypted Secret is never applied.
"""

from __future__ import annotations

from pathlib import Path

from argosy.repo.errors import DecryptionError
from argosy.repo.renderers import Rendered
from argosy.repo.sops import formats
from argosy.repo.sops.decrypt import (
    HOW_TO_CONFIGURE,
    MAX_FILE_BYTES,
    Decryptor,
    encrypted_paths,
    has_sops_metadata,
    write_private,
)


def directory_text(text: str, rel: str, dec: Decryptor | None) -> str:
    """``text`` in clear when the file is a SOPS file, else unchanged."""
    data = text.encode("utf-8")
    if not formats.looks_encrypted(data):
        return text
    if dec is None:
        dec = Decryptor()
    fmt = "json" if rel.endswith(".json") else "yaml"
    return dec.open_bytes(data, rel, fmt).plaintext().decode("utf-8")


def helm_value_file(path: str, rel: str, dec: Decryptor | None, work: Path | None) -> str:
    """The value file to give to helm: a decrypted private copy when it is an opted-in SOPS file."""
    if dec is None or work is None or not dec.material.helm_values:
        return path
    target = Path(path)
    with target.open("rb") as fh:
        data = fh.read(MAX_FILE_BYTES + 1)
    if not formats.looks_encrypted(data):
        return path
    opened = dec.open_bytes(data, rel, formats.format_for_path(target.name))
    directory = work / "sops-values"
    directory.mkdir(mode=0o700, exist_ok=True)
    index = len(list(directory.iterdir()))
    out = directory / f"{index}-{target.name}"
    write_private(out, opened.plaintext())
    return str(out)


def _describe(obj: dict[str, object]) -> str:
    meta = obj.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    namespace = meta.get("namespace") if isinstance(meta, dict) else None
    return f"{obj.get('kind')} {namespace + '/' if namespace else ''}{name}"


def finish(rendered: Rendered, dec: Decryptor | None) -> None:
    """Decrypt objects that still carry SOPS metadata; refuse objects with encrypted values."""
    for item in rendered.objects:
        obj = item.object
        where = f"{_describe(obj)} (from {item.provenance.file or 'the rendered output'})"
        if has_sops_metadata(obj):
            if dec is None:
                dec = Decryptor()
            try:
                item.object = dec.open_object(obj, where)
            except DecryptionError as exc:
                if "MAC mismatch" in str(exc):
                    raise DecryptionError(
                        f"{exc} - it was probably changed by the kustomization (namespace, labels, "
                        "patches) after it was rendered; reference the encrypted file directly from "
                        "the kustomization so Argosy decrypts it before the build"
                    ) from None
                raise
            continue
        encrypted = list(encrypted_paths({k: v for k, v in obj.items() if k != "sops"}))
        if encrypted:
            raise DecryptionError(
                f"{where} is still SOPS-encrypted (at {', '.join(encrypted[:3])}) and is never applied "
                f"as is; {HOW_TO_CONFIGURE}"
            )
