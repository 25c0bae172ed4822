"""Real SOPS material for tests: age and GnuPG keys made on the spot, files encrypted by the sops binary."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pyrage

from argosy.devcluster import build
from argosy.repo.sops.keys import Key, KeyMaterial


class SopsKeys:
    """One age identity and one unprotected GnuPG key, and ``encrypt`` with the real sops."""

    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        identity = pyrage.x25519.Identity.generate()
        self.age_identity = str(identity)
        self.age_recipient = str(identity.to_public())
        self.age_file = root / "age.key"
        self.age_file.write_text(self.age_identity + "\n")
        # gpg-agent's sockets live in the home directory and a socket path has at most 108 bytes:
        # under pytest's temp tree (deeper still with xdist workers) it would not fit.
        self.gnupg_home = Path(tempfile.mkdtemp(prefix="argosy-gpg-", dir="/tmp"))
        os.chmod(self.gnupg_home, 0o700)
        self._gpg(
            "--quick-gen-key",
            "--passphrase",
            "",
            "argosy-test@example.invalid",
            "default",
            "default",
            "never",
        )
        listing = self._gpg("--list-secret-keys", "--with-colons").stdout
        self.pgp_fingerprint = next(
            line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr")
        )
        self.pgp_armored = self._gpg("--armor", "--export-secret-keys", self.pgp_fingerprint).stdout

    def _gpg(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["gpg", "--homedir", str(self.gnupg_home), "--batch", "--pinentry-mode", "loopback", *args],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )

    def close(self) -> None:
        subprocess.run(["gpgconf", "--homedir", str(self.gnupg_home), "--kill", "gpg-agent"], check=False)
        shutil.rmtree(self.gnupg_home, ignore_errors=True)

    def encrypt(self, name: str, content: str, *flags: str, pgp: bool = False) -> str:
        """``content`` encrypted by ``sops encrypt`` as file ``name`` (its extension picks the format)."""
        work = Path(tempfile.mkdtemp(dir=self.root))
        plain = work / Path(name).name
        plain.write_text(content)
        keys = ["--pgp", self.pgp_fingerprint] if pgp else ["--age", self.age_recipient]
        env = {**os.environ, "GNUPGHOME": str(self.gnupg_home), "SOPS_AGE_KEY_FILE": str(self.age_file)}
        out = subprocess.run(
            [str(build.binary("sops")), "encrypt", *keys, *flags, str(plain)],
            capture_output=True,
            text=True,
            env=env,
            check=True,
            timeout=60,
        )
        return out.stdout

    def age_material(self) -> KeyMaterial:
        return KeyMaterial([Key("age", "test age key", self.age_identity)])

    def age_secret(self, name: str = "sops-age") -> dict[str, object]:
        return {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": name},
            "stringData": {"age.agekey": self.age_identity},
        }

    def gpg_secret(self, name: str = "sops-gpg") -> dict[str, object]:
        return {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": name},
            "stringData": {"sops.asc": self.pgp_armored},
        }
