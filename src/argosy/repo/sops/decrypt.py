"""Decrypt one SOPS file or object: the entry point the renderers and the CLI use.

:class:`Decryptor` is one render's session: it holds the request's
:class:`~argosy.repo.sops.keys.KeyRing`, refuses files over 5 MiB, and
remembers every clear value it produced so error messages can be redacted and
the render cache entry sealed. Every failure is a
:class:`~argosy.repo.errors.DecryptionError` naming the file (or object) and
the cause: no usable key, a KMS-only file, a MAC mismatch, a truncated or
malformed file.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argosy.repo.errors import DecryptionError
from argosy.repo.sops import formats
from argosy.repo.sops.keys import KeyMaterial, KeyRing, NoKeyError
from argosy.repo.sops.tree import Metadata, SopsFormatError, decrypt_tree, parse_metadata

MAX_FILE_BYTES = 5 * 1024 * 1024
HOW_TO_CONFIGURE = (
    "put the age or PGP private key in a key Secret of the control-plane namespace "
    "(entries *.agekey / *.asc) and select it with argocd-cm sops.keySecrets or the "
    "application's argosy.io/sops-key-secrets annotation (see docs/sops.md)"
)


@dataclass
class Opened:
    """A decrypted file: its format, its clear branches and its metadata."""

    format: str
    branches: list[Any]
    metadata: Metadata

    def plaintext(self) -> bytes:
        return formats.emit(self.format, self.branches)


class Decryptor:
    """Decrypts files and objects with one request's keys (use as a context manager)."""

    def __init__(self, material: KeyMaterial | None = None, gpg: str = "gpg") -> None:
        self.material = material if material is not None else KeyMaterial()
        self.keyring = KeyRing(self.material, gpg)
        self._revealed: set[str] = set()
        self.used = False

    def __enter__(self) -> Decryptor:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self.keyring.close()

    def revealed(self) -> list[str]:
        """Clear values produced so far (at least 4 characters), for redacting messages."""
        return sorted(self._revealed)

    def _remember(self, value: Any) -> None:
        if isinstance(value, dict):
            for v in value.values():
                self._remember(v)
        elif isinstance(value, list):
            for v in value:
                self._remember(v)
        elif isinstance(value, str):
            for line in value.splitlines() or [value]:
                if len(line.strip()) >= 4:
                    self._revealed.add(line.strip())

    def _fail(self, where: str, cause: str, fix: str = "") -> DecryptionError:
        return DecryptionError(f"{where}: cannot decrypt: {cause}" + (f"; {fix}" if fix else ""))

    def open_bytes(self, data: bytes, where: str, fmt: str, verify_mac: bool = True) -> Opened:
        """Decrypt the SOPS file ``data`` (``where`` names it in errors)."""
        if len(data) > MAX_FILE_BYTES:
            raise self._fail(where, f"the file is larger than {MAX_FILE_BYTES} bytes (5 MiB)")
        try:
            loaded = formats.load(data, fmt)
        except SopsFormatError as exc:
            raise self._fail(where, f"not a valid SOPS {fmt} file ({exc}); is it truncated?") from None
        if loaded.metadata is None:
            raise self._fail(where, "the file has no sops metadata (is it truncated?)")
        return self._decrypt(loaded.format, loaded.branches, loaded.metadata, where, verify_mac)

    def _decrypt(self, fmt: str, branches: list[Any], raw_meta: Any, where: str, verify_mac: bool) -> Opened:
        try:
            meta = parse_metadata(raw_meta)
        except SopsFormatError as exc:
            raise self._fail(
                where, f"invalid or incomplete sops metadata ({exc}); is the file truncated?"
            ) from None
        try:
            key = self.keyring.data_key(meta)
        except NoKeyError as exc:
            raise self._fail(where, str(exc), HOW_TO_CONFIGURE) from None
        try:
            clear = decrypt_tree(branches, meta, key, verify_mac)
        except SopsFormatError as exc:
            raise self._fail(where, str(exc)) from None
        self.used = True
        self._remember(clear)
        return Opened(fmt, clear, meta)

    def open_object(self, obj: dict[str, Any], where: str, verify_mac: bool = True) -> dict[str, Any]:
        """A Kubernetes object with top-level ``sops`` metadata, decrypted whole (Flux style)."""
        body = {k: copy.deepcopy(v) for k, v in obj.items() if k != "sops"}
        opened = self._decrypt("yaml", [body], obj.get("sops"), where, verify_mac)
        result: dict[str, Any] = opened.branches[0]
        return result


def write_private(path: Path, data: bytes) -> None:
    """Write clear content readable by this user only (a new file: never through a link)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def has_sops_metadata(obj: Any) -> bool:
    return isinstance(obj, dict) and isinstance(obj.get("sops"), dict) and "mac" in obj["sops"]


def encrypted_paths(value: Any, path: str = "") -> Iterator[str]:
    """Paths of values that are still ``ENC[AES256_GCM,...]``."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from encrypted_paths(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from encrypted_paths(v, f"{path}[{i}]")
    elif isinstance(value, str) and value.startswith(formats.ENC_MARKER):
        yield path or "(root)"
