"""Directory sources: every ``.yaml``, ``.yml`` and ``.json`` file at the path.

As in Argo CD: subdirectories only with ``directory.recurse``; ``include`` and
``exclude`` are globs over the path relative to the source path, where ``*``
also crosses ``/`` and ``{a,b}`` lists alternatives; files are read in
lexical order so the output is stable. Symlinked directories are not followed
(``os.walk``), so a link to ``.`` or ``..`` cannot make the walk loop; a file
that is a dangling symlink is skipped with a warning, one in a symlink loop is
an error naming it.
"""

from __future__ import annotations

import os
from pathlib import Path

from argosy.engine.glob import glob_match
from argosy.repo import manifests
from argosy.repo.errors import ManifestParseError
from argosy.repo.paths import relative
from argosy.repo.renderers import Rendered, RenderInput
from argosy.repo.result import Provenance, RenderedObject
from argosy.repo.sops.hooks import directory_text

EXTENSIONS = (".yaml", ".yml", ".json")
MAX_FILE_BYTES = 64 * 1024 * 1024
# Argo CD's --max-combined-directory-manifests-size default ("10M"): parsing costs far more
# memory than the text (a 46 MB file of small keys took 1.3 GB and 33 s of CPU), so a
# directory source is bounded as a whole before anything is parsed.
MAX_COMBINED_BYTES = 10_000_000


def find_files(app_dir: Path, recurse: bool, include: str, exclude: str) -> list[Path]:
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(app_dir):
        dirnames[:] = sorted(d for d in dirnames if d != ".git") if recurse else []
        for name in sorted(filenames):
            if not name.endswith(EXTENSIONS):
                continue
            full = Path(dirpath) / name
            rel = full.relative_to(app_dir).as_posix()
            if exclude and glob_match(exclude, rel):
                continue
            if include and not glob_match(include, rel):
                continue
            found.append(full)
    return sorted(found, key=lambda p: p.relative_to(app_dir).as_posix())


def render(inp: RenderInput, max_combined_bytes: int = MAX_COMBINED_BYTES) -> Rendered:
    opts = inp.source.directory
    out = Rendered(tool="Directory")
    files = find_files(
        inp.app_dir,
        bool(opts and opts.recurse),
        opts.include if opts else "",
        opts.exclude if opts else "",
    )
    combined = 0
    for path in files:
        rel = relative(inp.root, path)
        try:
            size = path.stat().st_size
        except FileNotFoundError:  # a dangling symlink: nothing to read, as Argo CD skips it
            out.warnings.append(f"{rel}: symlink to {os.readlink(path)!r}, which does not exist; skipped")
            continue
        except OSError as exc:  # ELOOP: a symlink loop (a.yaml -> b.yaml -> a.yaml)
            raise ManifestParseError(
                f"{rel}: cannot be read: {exc.strerror} (a symlink loop?)", rel
            ) from None
        if size > MAX_FILE_BYTES:
            raise ManifestParseError(f"{rel}: larger than {MAX_FILE_BYTES} bytes", rel)
        combined += size
        if combined > max_combined_bytes:
            raise ManifestParseError(
                f"{rel}: the manifests of this directory source exceed {max_combined_bytes} bytes combined "
                "(repo server --max-combined-directory-manifests-size); split the application "
                "or raise the limit",
                rel,
            )
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ManifestParseError(
                f"{rel}: not UTF-8 text (invalid byte at offset {exc.start}); manifests must be UTF-8 "
                "(a binary file needs another extension than .yaml, .yml or .json)",
                rel,
            ) from exc
        text = directory_text(text, rel, inp.sops)  # SOPS hook: a SOPS file is decrypted here
        parsed = manifests.parse(text, rel, json_file=path.suffix == ".json")
        out.warnings += parsed.warnings
        for doc in parsed.documents:
            prov = Provenance(inp.source_index, rel, doc.index, doc.line)
            out.objects.append(RenderedObject(doc.object, prov))
    return out
