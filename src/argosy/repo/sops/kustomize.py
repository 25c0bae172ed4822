"""SOPS in Kustomize sources: what happens before ``kustomize build``.

:func:`prepare` walks the kustomization and every local kustomization it
references:

- A referenced file that is itself a SOPS file - a resource (Flux style), a
  ``secretGenerator``/``configMapGenerator`` ``files``/``envs`` source, a
  patch - is decrypted, with its MAC checked, into a private copy of the
  repository (a 0700 directory under the render's temporary directory,
  removed after the render); kustomize builds that copy, so it sees clear
  files exactly as Flux's kustomize-controller gives them to kustomize.
- KSOPS generator configs are run by Argosy's own plugin
  (:mod:`argosy.repo.sops.plugin`): ``--enable-alpha-plugins`` with a private
  plugin home that holds nothing else and a ``PATH`` without container
  runtimes; never ``--enable-exec`` on Argosy's behalf. KRM
  ``config.kubernetes.io/function`` annotations of those configs are dropped
  so kustomize uses that plugin rather than a ``ksops`` binary.
- With ``sops.ksops: exec`` in ``argocd-cm``, ``kustomize.buildOptions``
  containing ``--enable-alpha-plugins --enable-exec`` and a ``ksops`` binary
  on the repo server's ``PATH``, the real plugin runs instead, with the keys
  given to it through ``SOPS_AGE_KEY_FILE`` and ``GNUPGHOME`` in private files.
"""

from __future__ import annotations

import json
import shlex
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from argosy.engine import yamlbounds
from argosy.repo import tools
from argosy.repo.errors import DecryptionError, ToolNotFoundError
from argosy.repo.paths import relative, resolve_in_root
from argosy.repo.renderers import RenderInput
from argosy.repo.renderers.kustomize import _is_remote, _load, _local_refs, kustomization_file
from argosy.repo.sops import formats, ksops
from argosy.repo.sops.decrypt import MAX_FILE_BYTES, Decryptor, write_private
from argosy.repo.sops.plugin import ERROR_PREFIX


@dataclass
class Scan:
    """SOPS content of a kustomization tree."""

    encrypted: list[Path] = field(default_factory=list)  # referenced SOPS files
    ksops_files: list[Path] = field(default_factory=list)  # generator config files with ksops docs
    inline: list[Path] = field(default_factory=list)  # kustomization files with inline ksops generators
    versions: set[str] = field(default_factory=set)  # apiVersions of the ksops configs

    def __bool__(self) -> bool:
        return bool(self.encrypted or self.ksops_files or self.inline)


@dataclass
class Plan:
    """How to run ``kustomize build`` for a tree with SOPS content."""

    root: Path
    app_dir: Path
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    mode: str = ""  # "native", "exec" or "" (no KSOPS generator)


def _ksops_docs(text: str) -> list[dict[str, Any]]:
    try:
        return [d for d in yamlbounds.load_all(text) if ksops.is_ksops(d)]
    except yaml.YAMLError:
        return []


def scan(root: Path, directory: Path, found: Scan | None = None, seen: set[Path] | None = None) -> Scan:
    """Find SOPS files and KSOPS generators in ``directory``'s kustomization and those it references."""
    found = Scan() if found is None else found
    seen = set() if seen is None else seen
    if directory in seen:
        return found
    seen.add(directory)
    kfile = kustomization_file(directory)
    if kfile is None:
        return found
    k = _load(kfile, root)
    generators = [g for g in k.get("generators") or [] if isinstance(g, str)]
    for entry in generators:
        if "\n" in entry:
            for doc in _ksops_docs(entry):
                found.versions.add(str(doc["apiVersion"]).split("/", 1)[-1])
                if kfile not in found.inline:
                    found.inline.append(kfile)
    for ref in _local_refs(k):
        if "\n" in ref or _is_remote(ref):
            continue
        target = resolve_in_root(root, ref, f"{relative(root, kfile)}: reference", base=directory)
        if target.is_dir():
            scan(root, target, found, seen)
            continue
        if not target.is_file() or target in found.encrypted or target in found.ksops_files:
            continue
        with target.open("rb") as fh:
            head = fh.read(MAX_FILE_BYTES + 1)
        if ref in generators:
            docs = _ksops_docs(head.decode("utf-8", errors="replace"))
            if docs:
                found.ksops_files.append(target)
                found.versions.update(str(d["apiVersion"]).split("/", 1)[-1] for d in docs)
                continue
        if formats.looks_encrypted(head):
            found.encrypted.append(target)
    return found


def _private_copy(inp: RenderInput, work: Path, found: Scan, dec: Decryptor) -> tuple[Path, Path]:
    """Copy the repository into ``work`` and decrypt the referenced SOPS files there, in place."""
    copy = work / "sops-tree"
    shutil.copytree(inp.root, copy, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    real_root = inp.root.resolve()
    for path in found.encrypted:
        rel = path.resolve().relative_to(real_root)
        opened = dec.open_bytes(path.read_bytes(), str(rel), formats.format_for_path(path.name))
        target = copy / rel
        target.unlink()
        write_private(target, opened.plaintext())
    return copy, copy / inp.app_dir.resolve().relative_to(real_root)


def _strip_function_annotation(doc: dict[str, Any]) -> dict[str, Any]:
    annotations = (doc.get("metadata") or {}).get("annotations") or {}
    annotations.pop(ksops.FUNCTION_ANNOTATION, None)
    if not annotations and isinstance(doc.get("metadata"), dict):
        doc["metadata"].pop("annotations", None)
    return doc


def _route_to_plugin(found: Scan, old_root: Path, root: Path) -> None:
    """Drop KRM exec annotations from the KSOPS configs so kustomize uses the plugin home."""
    for path in found.ksops_files:
        target = root / path.resolve().relative_to(old_root.resolve())
        docs = [
            _strip_function_annotation(d) if ksops.is_ksops(d) else d
            for d in yamlbounds.load_all(target.read_text())
        ]
        target.write_text(yaml.safe_dump_all(docs, sort_keys=False), encoding="utf-8")
    for kfile in found.inline:
        target = root / kfile.resolve().relative_to(old_root.resolve())
        k = yamlbounds.load(target.read_text()) or {}
        k["generators"] = [
            yaml.safe_dump_all(
                [_strip_function_annotation(d) if ksops.is_ksops(d) else d for d in yamlbounds.load_all(g)]
            )
            if isinstance(g, str) and "\n" in g
            else g
            for g in k.get("generators") or []
        ]
        target.write_text(yaml.safe_dump(k, sort_keys=False), encoding="utf-8")


def _plugin_home(work: Path, versions: set[str], program: Path | None) -> Path:
    home = work / "kustomize-plugins"
    for version in sorted(versions) or ["v1"]:
        directory = home / ksops.GROUP / version / ksops.KIND
        directory.mkdir(parents=True, exist_ok=True)
        entry = directory / ksops.KIND
        if program is not None:
            entry.symlink_to(program)
        else:
            entry.write_text(
                f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m argosy.repo.sops.plugin "$@"\n'
            )
            entry.chmod(0o700)
    return home


def _safe_path(work: Path) -> str:
    """A PATH with git, helm and GnuPG only: kustomize finds no container runtime to run functions with."""
    bindir = work / "sops-bin"
    bindir.mkdir(exist_ok=True)
    for tool in ("git", "helm", "gpg", "gpgconf"):
        try:
            found = tools.find(tool) if tool in ("git", "helm") else shutil.which(tool)
            if found:
                (bindir / tool).symlink_to(found)
        except (ToolNotFoundError, FileExistsError):
            continue
    return str(bindir)


def use_exec_plugin(dec: Decryptor, build_options: str) -> Path | None:
    """The real ``ksops`` binary, when ``sops.ksops: exec`` and the build options allow exec plugins."""
    options = shlex.split(build_options)
    if dec.material.ksops_mode != "exec" or not {"--enable-alpha-plugins", "--enable-exec"} <= set(options):
        return None
    found = shutil.which("ksops")
    return Path(found) if found else None


def prepare(inp: RenderInput, dec: Decryptor) -> Plan | None:
    """Set up the build of a tree with SOPS content; None when it has none."""
    found = scan(inp.root, inp.app_dir)
    if not found:
        return None
    assert inp.work_dir is not None
    work = inp.work_dir
    root, app_dir = inp.root, inp.app_dir
    if found.encrypted:
        root, app_dir = _private_copy(inp, work, found, dec)
    plan = Plan(root, app_dir)
    if not (found.ksops_files or found.inline):
        return plan
    program = use_exec_plugin(dec, inp.ctx.kustomize_build_options)
    dec.used = True  # the plugin decrypts: the render's output is clear text
    plan.env["KUSTOMIZE_PLUGIN_HOME"] = str(_plugin_home(work, found.versions, program))
    if program is not None:
        plan.mode = "exec"
        age = "\n".join(k.material for k in dec.material.keys if k.type == "age")
        write_private(work / "age-keys.txt", (age + "\n").encode())
        plan.env["SOPS_AGE_KEY_FILE"] = str(work / "age-keys.txt")
        if dec.keyring.has_pgp():
            plan.env["GNUPGHOME"] = dec.keyring.gpg_home()
        return plan
    plan.mode = "native"
    _route_to_plugin(found, inp.root, root)
    write_private(work / "sops-keys.json", json.dumps(dec.material.to_dict()).encode())
    plan.env.update(
        ARGOSY_SOPS_KEYS=str(work / "sops-keys.json"),
        ARGOSY_SOPS_ROOT=str(root.resolve()),
        PATH=_safe_path(work),
    )
    if "--enable-alpha-plugins" not in shlex.split(inp.ctx.kustomize_build_options):
        plan.args.append("--enable-alpha-plugins")
    return plan


def plugin_error(stderr: str) -> DecryptionError | None:
    """The decryption error our plugin reported inside kustomize's message, if any."""
    for line in stderr.splitlines():
        if ERROR_PREFIX in line:
            return DecryptionError(line.split(ERROR_PREFIX, 1)[1].strip())
    return None
