"""Decryption keys: where they come from, and recovering a file's data key with them.

Keys are never read from the repository. They arrive with each render
request as :class:`KeyMaterial` - the entries of the key Secrets the
Application may use (``*.agekey``: age identities, one ``AGE-SECRET-KEY-1…``
or OpenSSH private key per entry; ``*.asc``: armored PGP private keys, such as
the ``sops.asc`` of the ``sops-gpg`` Secret of the KSOPS tutorial) - or, for
the CLI, from a key file or a GnuPG home. :class:`KeyRing` turns them into a
data key per file: age with ``pyrage``; PGP with the ``gpg`` binary in a
private GnuPG home created on first use (mode 0700, its agent stopped and the
directory removed on close).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyrage

from argosy.repo import execute
from argosy.repo.sops import shamir
from argosy.repo.sops.tree import KMS_PROVIDERS, MasterKey, Metadata

AGE_SUFFIX = ".agekey"
PGP_SUFFIX = ".asc"


@dataclass(frozen=True)
class Key:
    """One private key and where it came from (``argocd/sops-age: age.agekey``), for messages."""

    type: str  # "age" or "pgp"
    source: str
    material: str


@dataclass
class KeyMaterial:
    """The keys of one request; travels to the repo server with it."""

    keys: list[Key] = field(default_factory=list)
    gnupg_home: str = ""  # an existing GnuPG home (CLI --gpg-home / $GNUPGHOME), used as is
    notes: list[str] = field(default_factory=list)  # e.g. "key Secret argocd/x not found"
    helm_values: bool = False  # the app opted in to SOPS-encrypted Helm value files
    ksops_mode: str = "native"  # "native" or "exec" (run the real ksops when possible)

    def has_keys(self) -> bool:
        return bool(self.keys or self.gnupg_home)

    def fingerprint(self) -> str:
        """A digest of the keys and options (part of the render cache key; reveals nothing)."""
        digest = hashlib.sha256()
        for k in sorted(self.keys, key=lambda k: (k.type, k.material)):
            digest.update(f"{k.type}\0{k.material}\0".encode())
        digest.update(f"{self.gnupg_home}\0{self.helm_values}\0{self.ksops_mode}".encode())
        return digest.hexdigest()[:32]

    def describe(self) -> str:
        if not self.has_keys():
            return "no SOPS key is configured"
        parts = [f"{k.type} key from {k.source}" for k in self.keys]
        if self.gnupg_home:
            parts.append(f"GnuPG home {self.gnupg_home}")
        return "tried " + ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "keys": [{"type": k.type, "source": k.source, "material": k.material} for k in self.keys],
            "gnupgHome": self.gnupg_home,
            "notes": list(self.notes),
            "helmValues": self.helm_values,
            "ksopsMode": self.ksops_mode,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> KeyMaterial:
        d = d or {}
        return cls(
            keys=[
                Key(str(k["type"]), str(k.get("source") or ""), str(k["material"]))
                for k in d.get("keys") or []
            ],
            gnupg_home=str(d.get("gnupgHome") or ""),
            notes=[str(n) for n in d.get("notes") or []],
            helm_values=bool(d.get("helmValues")),
            ksops_mode=str(d.get("ksopsMode") or "native"),
        )


def keys_from_secret(secret: dict[str, Any], where: str) -> list[Key]:
    """The age and PGP keys of one Secret (``data`` is base64, ``stringData`` clear)."""
    import base64

    entries: dict[str, str] = {}
    for name, value in (secret.get("data") or {}).items():
        try:
            entries[str(name)] = base64.b64decode(str(value)).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            continue
    for name, value in (secret.get("stringData") or {}).items():
        entries[str(name)] = str(value)
    out = []
    for name in sorted(entries):
        if name.endswith(AGE_SUFFIX):
            out.append(Key("age", f"{where}: {name}", entries[name]))
        elif name.endswith(PGP_SUFFIX):
            out.append(Key("pgp", f"{where}: {name}", entries[name]))
    return out


def age_identities(text: str) -> list[Any]:
    """Identities of an age key file: ``AGE-SECRET-KEY-1…`` lines or one OpenSSH private key."""
    if "PRIVATE KEY-----" in text:
        return [pyrage.ssh.Identity.from_buffer(text.encode())]
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("AGE-SECRET-KEY-"):
            out.append(pyrage.x25519.Identity.from_str(line))
    return out


class NoKeyError(Exception):
    """No configured key opens the file; the message lists its recipients and the keys tried."""


class KeyRing:
    """Recovers data keys with the request's keys. Close it (or use ``with``) to drop the GnuPG home."""

    def __init__(self, material: KeyMaterial, gpg: str = "gpg") -> None:
        self.material = material
        self.gpg = gpg
        self._age: list[tuple[str, list[Any]]] = []
        self.problems: list[str] = list(material.notes)
        self.opened_by: list[str] = []  # which key opened each data key, in order (for `sops check`)
        for key in material.keys:
            if key.type != "age":
                continue
            try:
                found = age_identities(key.material)
            except Exception as exc:  # pyrage raises its own error classes
                self.problems.append(f"{key.source}: not a valid age identity ({type(exc).__name__})")
                continue
            if not found:
                self.problems.append(f"{key.source}: holds no AGE-SECRET-KEY-1 line")
            else:
                self._age.append((key.source, found))
        self._home: Path | None = None
        self._memo: dict[str, bytes] = {}

    def __enter__(self) -> KeyRing:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        if self._home is not None:
            with contextlib.suppress(OSError):
                subprocess.run(
                    ["gpgconf", "--homedir", str(self._home), "--kill", "gpg-agent"],
                    capture_output=True,
                    check=False,
                )
            shutil.rmtree(self._home, ignore_errors=True)
            self._home = None
        self._memo.clear()

    # -- PGP ----------------------------------------------------------------------
    def gpg_home(self) -> str:
        if self.material.gnupg_home:
            return self.material.gnupg_home
        if self._home is None:
            home = Path(tempfile.mkdtemp(prefix="argosy-gnupg-"))
            os.chmod(home, 0o700)
            self._home = home
            for key in self.material.keys:
                if key.type == "pgp":
                    result = self._run_gpg(str(home), ["--import"], key.material.encode())
                    if result.returncode != 0:
                        self.problems.append(f"{key.source}: not an importable PGP private key")
        return str(self._home)

    def _run_gpg(self, home: str, args: list[str], stdin: bytes) -> execute.Result:
        env = {**os.environ, "GNUPGHOME": home}
        base = [self.gpg, "--homedir", home, "--batch", "--yes", "--no-tty", "--pinentry-mode", "loopback"]
        return execute.run([*base, "--passphrase", "", *args], env=env, stdin=stdin, timeout=30)

    def has_pgp(self) -> bool:
        return bool(self.material.gnupg_home) or any(k.type == "pgp" for k in self.material.keys)

    # -- data keys --------------------------------------------------------------
    def _open(self, key: MasterKey) -> bytes | None:
        memo = hashlib.sha256(f"{key.type}\0{key.enc}".encode()).hexdigest()
        if memo in self._memo:
            return self._memo[memo]
        value: bytes | None = None
        if key.type == "age":
            for source, identities in self._age:
                try:
                    value = pyrage.decrypt(key.enc.encode(), identities)
                except Exception:  # wrong identity, corrupt stanza: try the next key
                    continue
                self.opened_by.append(f"age key from {source}")
                break
        elif key.type == "pgp" and self.has_pgp():
            result = self._run_gpg(self.gpg_home(), ["--decrypt"], key.enc.encode())
            value = result.stdout if result.returncode == 0 and result.stdout else None
            if value is not None:
                self.opened_by.append(f"PGP key {key.id}")
        if value is not None:
            self._memo[memo] = value
        return value

    def data_key(self, meta: Metadata) -> bytes:
        """The file's data key, combining Shamir shares when there are several key groups."""
        parts: list[bytes] = []
        for group in meta.key_groups:
            for key in sorted(group, key=lambda k: {"age": 0, "pgp": 1}.get(k.type, 2)):
                part = self._open(key)
                if part is not None:
                    parts.append(part)
                    break
        groups = len(meta.key_groups)
        if groups > 1:
            needed = meta.shamir_threshold or groups
            if len(parts) >= needed:
                try:
                    return shamir.combine(parts)
                except ValueError as exc:
                    raise NoKeyError(f"the key group shares do not combine: {exc}") from None
        elif len(parts) == 1:
            return parts[0]
        raise NoKeyError(self._why(meta, len(parts), groups))

    def _why(self, meta: Metadata, got: int, groups: int) -> str:
        needed = (meta.shamir_threshold or groups) if groups > 1 else 1
        holders = []
        for group in meta.key_groups:
            for k in group:
                label = KMS_PROVIDERS.get(k.type, k.type)
                holders.append(f"{label} {k.id}" if k.id else label)
        types = meta.key_types()
        if types and types <= set(KMS_PROVIDERS):
            providers = ", ".join(sorted(KMS_PROVIDERS[t] for t in types))
            return (
                f"it is encrypted only for {providers}, which Argosy does not support "
                "(re-encrypt it for an age or PGP key: sops updatekeys / sops rotate)"
            )
        message = (
            f"no configured key opens it ({needed} of {groups} key group(s) needed, {got} opened); "
            f"it is encrypted for {', '.join(holders) or 'no key'}; {self.material.describe()}"
        )
        if self.problems:
            message += "; " + "; ".join(self.problems)
        return message
