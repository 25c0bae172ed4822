"""``argosy admin sops check``: which files are SOPS files, which keys open them, do their MACs verify.

Walks a directory (``.git`` excluded, symlinks not followed), tries every
SOPS file with the given keys exactly as the repo server would, and reports
one line per file. Pure reporting over :class:`~argosy.repo.sops.decrypt.Decryptor`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from argosy.repo.errors import DecryptionError
from argosy.repo.sops import formats
from argosy.repo.sops.decrypt import MAX_FILE_BYTES, Decryptor
from argosy.repo.sops.keys import KeyMaterial


@dataclass
class FileReport:
    path: str
    ok: bool
    detail: str  # the key that opened it, or the error


def sops_files(root: Path) -> list[Path]:
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if path.is_symlink() or not path.is_file():
                continue
            with path.open("rb") as fh:
                head = fh.read(MAX_FILE_BYTES + 1)
            if formats.looks_encrypted(head):
                found.append(path)
    return found


def check(root: Path, material: KeyMaterial) -> list[FileReport]:
    reports = []
    with Decryptor(material) as dec:
        for path in sops_files(root):
            rel = path.relative_to(root).as_posix() if root.is_dir() else path.name
            before = len(dec.keyring.opened_by)
            try:
                dec.open_bytes(path.read_bytes(), rel, formats.format_for_path(path.name))
            except DecryptionError as exc:
                reports.append(FileReport(rel, False, str(exc).split(": cannot decrypt: ", 1)[-1]))
                continue
            opened = ", ".join(dict.fromkeys(dec.keyring.opened_by[before:])) or "a key opened earlier"
            reports.append(FileReport(rel, True, f"opened with {opened}; MAC verified"))
    return reports
