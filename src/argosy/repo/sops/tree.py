"""Decrypt a SOPS tree and verify its MAC: the pure core, no I/O.

A SOPS file is a tree (YAML/JSON mappings, dotenv or INI entries) whose
leaves are ``ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]`` values, plus a
``sops`` metadata block: who holds the data key (``age``, ``pgp``, or
``key_groups`` split with Shamir), which keys were encrypted
(``encrypted_regex``, ``unencrypted_regex``, ``encrypted_suffix``,
``unencrypted_suffix``, default ``_unencrypted``), and a MAC - a SHA-512 over
every value (or only the encrypted ones with ``mac_only_encrypted``),
encrypted with the data key and the ``lastmodified`` time as additional data.
Each value is decrypted with the path of keys leading to it (``a:b:c:``) as
additional data, so moving an encrypted value to another key fails, exactly as
with ``sops decrypt``.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from argosy.engine.regex import compile_go
from argosy.repo.sops.goyaml import GoTime, go_float

_ENC = re.compile(r"^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]")
MAC_ONLY_ENCRYPTED_INIT = bytes.fromhex("8a3fd2ad54ce66527b1034f3d147be0b0b975b3bf44f72c6fdadec8176f27d69")
KMS_PROVIDERS = {
    "kms": "AWS KMS",
    "gcp_kms": "GCP KMS",
    "azure_kv": "Azure Key Vault",
    "hc_vault": "HashiCorp Vault",
    "hckms": "Huawei Cloud KMS",
}
DEFAULT_UNENCRYPTED_SUFFIX = "_unencrypted"


class SopsFormatError(ValueError):
    """The file is not a valid SOPS file (bad metadata, value or MAC); the message says what."""


@dataclass(frozen=True)
class MasterKey:
    """One holder of (a share of) the data key: an age recipient or a PGP key."""

    type: str  # "age", "pgp", or a KMS provider name from KMS_PROVIDERS
    id: str  # age recipient, PGP fingerprint, ARN/URL...
    enc: str  # the encrypted data key (share)


@dataclass
class Metadata:
    key_groups: list[list[MasterKey]]
    shamir_threshold: int
    lastmodified: str
    mac: str
    mac_only_encrypted: bool = False
    unencrypted_suffix: str = ""
    encrypted_suffix: str = ""
    unencrypted_regex: str = ""
    encrypted_regex: str = ""
    comment_regex: bool = False
    version: str = ""

    def key_types(self) -> set[str]:
        return {k.type for group in self.key_groups for k in group}


def _keys(group: dict[str, Any]) -> list[MasterKey]:
    out: list[MasterKey] = []
    for entry in group.get("age") or []:
        if isinstance(entry, dict):
            out.append(MasterKey("age", str(entry.get("recipient") or ""), str(entry.get("enc") or "")))
    for entry in group.get("pgp") or []:
        if isinstance(entry, dict):
            out.append(MasterKey("pgp", str(entry.get("fp") or ""), str(entry.get("enc") or "")))
    for name in KMS_PROVIDERS:
        for entry in group.get(name) or []:
            if isinstance(entry, dict):
                ident = next(
                    (
                        str(entry[k])
                        for k in ("arn", "resource_id", "vault_url", "key_name", "key_id")
                        if entry.get(k)
                    ),
                    "",
                )
                out.append(MasterKey(name, ident, str(entry.get("enc") or "")))
    return out


def parse_metadata(raw: Any) -> Metadata:
    """The ``sops`` block as SOPS reads it (raises :class:`SopsFormatError`)."""
    if not isinstance(raw, dict):
        raise SopsFormatError("the sops metadata is not a mapping")
    for required in ("mac", "lastmodified"):
        if not isinstance(raw.get(required), str):
            raise SopsFormatError(f"the sops metadata has no {required}")
    if raw.get("key_groups"):
        groups = [_keys(g) for g in raw["key_groups"] if isinstance(g, dict)]
    else:
        groups = [_keys(raw)]
    rules = {
        k: str(raw.get(k) or "")
        for k in ("unencrypted_suffix", "encrypted_suffix", "unencrypted_regex", "encrypted_regex")
    }
    comment_rules = [k for k in ("unencrypted_comment_regex", "encrypted_comment_regex") if raw.get(k)]
    if sum(1 for v in rules.values() if v) + len(comment_rules) > 1:
        raise SopsFormatError(
            "cannot use more than one of encrypted_suffix, unencrypted_suffix, encrypted_regex, "
            "unencrypted_regex, encrypted_comment_regex, or unencrypted_comment_regex in the same file"
        )
    if not any(rules.values()) and not comment_rules:
        rules["unencrypted_suffix"] = DEFAULT_UNENCRYPTED_SUFFIX
    mac_only = raw.get("mac_only_encrypted")
    return Metadata(
        key_groups=groups,
        shamir_threshold=int(raw.get("shamir_threshold") or 0),
        lastmodified=str(raw["lastmodified"]),
        mac=str(raw["mac"]),
        mac_only_encrypted=mac_only is True or str(mac_only).lower() == "true",
        comment_regex=bool(comment_rules),
        version=str(raw.get("version") or ""),
        **rules,
    )


def go_bytes(value: Any) -> bytes:
    """SOPS's ``ToBytes``: what a value contributes to the MAC."""
    if isinstance(value, bool):
        return b"True" if value else b"False"
    if isinstance(value, int):
        return str(value).encode()
    if isinstance(value, float):
        return go_float(value).encode()
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    raise SopsFormatError(f"cannot hash a value of type {type(value).__name__}")


def _aead(key: bytes, value: str, aad: str) -> tuple[bytes, str]:
    m = _ENC.match(value)
    if not m:
        raise SopsFormatError("a value that should be encrypted is not an ENC[AES256_GCM,...] value")
    try:
        data, iv, tag = (base64.b64decode(m.group(i), validate=True) for i in (1, 2, 3))
    except ValueError as exc:
        raise SopsFormatError("an encrypted value is not valid base64") from exc
    try:
        plain = AESGCM(key).decrypt(iv, data + tag, aad.encode()) if len(iv) >= 8 else None
    except InvalidTag:
        plain = None
    if plain is None:
        raise SopsFormatError(
            f"the value at {aad[:-1] or '(root)'} does not decrypt with the data key "
            "(it was changed or moved after encryption)"
        )
    return plain, m.group(4)


def decrypt_value(key: bytes, value: str, aad: str) -> Any:
    """One ``ENC[...]`` value, typed as SOPS stored it."""
    plain, kind = _aead(key, value, aad)
    text = plain.decode("utf-8", errors="surrogateescape")
    try:
        if kind == "str":
            return text
        if kind == "int":
            return int(text)
        if kind == "float":
            return float(text)
        if kind == "bool":
            return text.lower() in ("1", "t", "true")
        if kind == "bytes":
            return plain
        if kind == "time":
            return GoTime(text)
        if kind == "comment":
            return text
    except ValueError as exc:
        raise SopsFormatError(f"the value at {aad[:-1]} is not a valid {kind}") from exc
    raise SopsFormatError(f"unknown value type {kind!r} at {aad[:-1]}")


class _Walker:
    def __init__(self, key: bytes, meta: Metadata) -> None:
        self.key = key
        self.meta = meta
        self.hash = hashlib.sha512()
        if meta.mac_only_encrypted:
            self.hash.update(MAC_ONLY_ENCRYPTED_INIT)
        # Written in the repository (untrusted): Go's linear-time RE2, as SOPS itself uses.
        self.encrypted_regex = compile_go(meta.encrypted_regex) if meta.encrypted_regex else None
        self.unencrypted_regex = compile_go(meta.unencrypted_regex) if meta.unencrypted_regex else None

    def should_encrypt(self, path: list[str], value: Any) -> bool:
        m = self.meta
        if m.comment_regex:  # comments are not read here: the value's form tells
            return isinstance(value, str) and bool(_ENC.match(value))
        encrypted = True
        if m.unencrypted_suffix and any(p.endswith(m.unencrypted_suffix) for p in path):
            encrypted = False
        if m.encrypted_suffix:
            encrypted = any(p.endswith(m.encrypted_suffix) for p in path)
        if self.unencrypted_regex and any(self.unencrypted_regex.search(p) for p in path):
            encrypted = False
        if self.encrypted_regex:
            encrypted = any(self.encrypted_regex.search(p) for p in path)
        return encrypted

    def leaf(self, value: Any, path: list[str]) -> Any:
        encrypted = self.should_encrypt(path, value)
        if encrypted:
            if not isinstance(value, str):
                raise SopsFormatError(
                    f"the value at {':'.join(path)} should be encrypted but is a {type(value).__name__}"
                )
            out = decrypt_value(self.key, value, ":".join(path) + ":") if value else ""
        else:
            out = value
        if not self.meta.mac_only_encrypted or encrypted:
            self.hash.update(go_bytes(out))
        return out

    def walk(self, value: Any, path: list[str]) -> Any:
        if isinstance(value, dict):
            out: dict[Any, Any] = {}
            for k, v in value.items():
                if not isinstance(k, str):
                    raise SopsFormatError(
                        f"the tree has a non-string key {k!r}; only string keys are supported"
                    )
                out[k] = self.walk(v, [*path, k])
            return out
        if isinstance(value, list):
            return [self.walk(v, path) for v in value]
        if value is None:
            return None
        return self.leaf(value, path)


def lastmodified_aad(value: str) -> str:
    """``lastmodified`` re-formatted as Go's RFC 3339 (fractional seconds dropped)."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise SopsFormatError(f"lastmodified {value!r} is not an RFC 3339 time") from exc
    text = parsed.replace(microsecond=0).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def decrypt_tree(branches: list[Any], meta: Metadata, key: bytes, verify_mac: bool = True) -> list[Any]:
    """Every branch decrypted; raises :class:`SopsFormatError` when the MAC does not match."""
    walker = _Walker(key, meta)
    out = [walker.walk(b, []) for b in branches]
    if verify_mac:
        try:
            stored = decrypt_value(key, meta.mac, lastmodified_aad(meta.lastmodified)) if meta.mac else ""
        except SopsFormatError as exc:
            raise SopsFormatError(
                "MAC mismatch: the MAC does not decrypt (the file was tampered with)"
            ) from exc
        if not isinstance(stored, str) or stored.upper() != walker.hash.hexdigest().upper():
            raise SopsFormatError(
                "MAC mismatch: the file's content does not match its MAC (it was tampered with or "
                "edited without sops)"
            )
    return out
