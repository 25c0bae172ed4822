"""Build container image archives locally, push them to a loopback registry, load them into containerd.

No registry outside is reachable and no container engine runs here, so every image a real node runs is
built from layer tarballs with the pinned ``crane`` (go-containerregistry). ``crane append`` writes
layers offline but leaves the config without os/arch, entrypoint or user; ``crane mutate`` sets those
but only reads an image from a registry. So a build runs crane's own in-memory registry on loopback
for the few seconds it takes: ``append`` pushes there, ``mutate --output`` writes the archive.

The archive is a **docker-style tarball** (``docker save`` layout: ``manifest.json`` with ``RepoTags``,
the config, gzip layers), the one format that both ``crane push`` (a file that is not an OCI layout
*directory*) and ``ctr images import`` (``docker.v1.2``) accept. The digest :func:`image_digest`
reports is the manifest digest ``crane push`` gives the registry; containerd re-derives the manifest
of an imported docker archive, so ``ctr images ls`` shows another manifest digest but the same config
digest (the image ID ``crictl images`` shows).

An archive is cached under ``cache_dir()/images``, named by a digest of the spec and of the layer
files' contents, written to a temporary file and renamed into place: a second build of the same spec
builds nothing, and an interrupted one leaves nothing behind.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from argosy.devcluster import build
from argosy.devcluster.paths import cache_dir
from argosy.imageupdater.reference import parse_image

PLATFORM = "linux/amd64"
# Bumped when the way archives are built changes, so older cache entries are not reused.
_FORMAT = 1
_LOOPBACK = re.compile(r"^(localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d+)?$")

Progress = Callable[[str], None]


class ImageError(RuntimeError):
    """An image could not be built, pushed or loaded; the message names the image and the step."""


@dataclass(frozen=True)
class ImageSpec:
    """What an image holds and how its container starts; always built for linux/amd64.

    ``env`` and ``labels`` are ``(name, value)`` pairs (ordered, hashable); ``ports`` are
    ``"8080/tcp"``-style exposed ports; ``user`` is ``uid[:gid]`` (numeric, so the kubelet can check
    ``runAsNonRoot`` without reading ``/etc/passwd``).
    """

    ref: str
    layers: tuple[Path, ...]
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    user: str = ""
    workdir: str = ""
    ports: tuple[str, ...] = ()
    labels: tuple[tuple[str, str], ...] = field(default=())


def images_dir(root: Path | None = None) -> Path:
    """Where archives (and the layers and Debian packages they are made of) are cached."""
    return root if root is not None else cache_dir() / "images"


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    except OSError as exc:
        raise ImageError(f"layer {path} cannot be read: {exc.strerror}") from exc
    return digest.hexdigest()


def cache_key(spec: ImageSpec) -> str:
    """A digest of everything the archive depends on: spec fields, layer contents, crane's version."""
    doc = {
        "format": _FORMAT,
        "crane": build.CRANE.version,
        "platform": PLATFORM,
        "ref": spec.ref,
        "layers": [_file_digest(p) for p in spec.layers],
        "entrypoint": spec.entrypoint,
        "cmd": spec.cmd,
        "env": spec.env,
        "user": spec.user,
        "workdir": spec.workdir,
        "ports": spec.ports,
        "labels": spec.labels,
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def archive_path(spec: ImageSpec, root: Path | None = None, key: str = "") -> Path:
    """The cache entry of ``spec``: ``<name>-<tag>-<key>.tar``, readable in a directory listing."""
    parsed = parse_image(spec.ref)
    readable = re.sub(r"[^A-Za-z0-9._-]+", "-", f"{parsed.name.rsplit('/', 1)[-1]}-{parsed.tag or 'latest'}")
    return images_dir(root) / f"{readable}-{(key or cache_key(spec))[:16]}.tar"


def _crane(progress: Progress | None) -> str:
    return str(build.ensure((build.CRANE,), progress)["crane"])


def _csv_item(value: str) -> str:
    """One element of a pflag string-slice flag, which reads its value as a CSV record."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow([value])
    return buf.getvalue()


def _run(args: list[str], what: str, timeout: float = 300) -> str:
    try:
        proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ImageError(f"{what} failed: {exc}") from exc
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-15:])
        raise ImageError(f"{what} failed (exit {proc.returncode}):\n{tail}")
    return proc.stdout


@contextmanager
def _scratch_registry(crane: str, workdir: Path) -> Iterator[str]:
    """crane's in-memory registry on a kernel-chosen loopback port, stopped on exit; yields host:port."""
    log_path = workdir / "registry.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [crane, "registry", "serve", "--address", "127.0.0.1:0"], stdout=log, stderr=log
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            found = re.search(r"serving on port (\d+)", log_path.read_text(errors="replace"))
            if found:
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise ImageError(
                    f"crane's scratch registry did not start: {log_path.read_text(errors='replace')[-500:]}"
                )
            time.sleep(0.05)
        yield f"127.0.0.1:{found.group(1)}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _mutate_flags(spec: ImageSpec) -> list[str]:
    flags = [f"--set-platform={PLATFORM}"]
    flags += [f"--entrypoint={_csv_item(v)}" for v in spec.entrypoint]
    flags += [f"--cmd={_csv_item(v)}" for v in spec.cmd]
    flags += [f"--env={k}={v}" for k, v in spec.env]
    flags += [f"--label={_csv_item(f'{k}={v}')}" for k, v in spec.labels]
    flags += [f"--exposed-ports={_csv_item(p)}" for p in spec.ports]
    if spec.user:
        flags.append(f"--user={spec.user}")
    if spec.workdir:
        flags.append(f"--workdir={spec.workdir}")
    return flags


def build_image(spec: ImageSpec, progress: Progress | None = None, *, root: Path | None = None) -> Path:
    """Return the archive of ``spec``, building it first unless the cache holds it.

    ``root`` overrides the cache folder (``cache_dir()/images``), e.g. for tests.
    """
    if not spec.layers:
        raise ImageError(f"image {spec.ref}: no layers given (a container needs a root filesystem)")
    if any(not v for v in (*spec.entrypoint, *spec.cmd)):
        raise ImageError(f"image {spec.ref}: an empty entrypoint/cmd argument cannot be passed to crane")
    for layer in spec.layers:
        # crane takes any file as a layer blob; a runtime would only fail when unpacking it.
        if layer.is_file() and not tarfile.is_tarfile(layer):
            raise ImageError(f"image {spec.ref}: layer {layer} is not a tar file")
    key = cache_key(spec)
    dest = archive_path(spec, root, key)
    if dest.is_file():
        return dest
    say = progress or (lambda _msg: None)
    crane = _crane(progress)
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{dest.stem}.", dir=dest.parent))
    try:
        say(f"building image {spec.ref} ({len(spec.layers)} layer(s))")
        with _scratch_registry(crane, work) as registry:
            scratch = f"{registry}/scratch:{key[:16]}"
            layer_flags = [f"--new_layer={_csv_item(str(p))}" for p in spec.layers]
            _run(
                [crane, "append", "--insecure", "--oci-empty-base", *layer_flags, f"--new_tag={scratch}"],
                f"image {spec.ref}: crane append of layers {', '.join(map(str, spec.layers))}",
            )
            out = work / "image.tar"
            _run(
                [
                    crane,
                    "mutate",
                    "--insecure",
                    scratch,
                    *_mutate_flags(spec),
                    f"--tag={spec.ref}",
                    f"--output={out}",
                ],
                f"image {spec.ref}: crane mutate (config: platform, entrypoint, user, env...)",
            )
        os.replace(out, dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    say(f"built image {spec.ref}: {dest}")
    return dest


def image_digest(archive: Path, progress: Progress | None = None) -> str:
    """The manifest digest (``sha256:...``) the archive gets in a registry when pushed."""
    return _run(
        [_crane(progress), "digest", "--tarball", str(archive)], f"reading the digest of {archive}"
    ).strip()


def image_config(archive: Path) -> dict[str, Any]:
    """The image's config (os, architecture, ``config.Entrypoint``...), read back from the archive."""
    try:
        with tarfile.open(archive) as tar:
            manifest = json.load(_member(tar, "manifest.json"))
            config: dict[str, Any] = json.load(_member(tar, manifest[0]["Config"]))
    except (OSError, tarfile.TarError, ValueError, LookupError) as exc:
        raise ImageError(f"{archive} is not a docker-style image archive: {exc}") from exc
    return config


def _member(tar: tarfile.TarFile, name: str) -> IO[bytes]:
    handle = tar.extractfile(name)
    if handle is None:
        raise KeyError(f"{name} is not a file")
    return handle


def require_loopback(registry: str) -> None:
    """Refuse a registry off loopback: pushes skip TLS, which is only safe on this machine."""
    if not _LOOPBACK.match(registry):
        raise ImageError(
            f"registry {registry!r} is not on loopback (localhost, 127.x.x.x or [::1] with an optional "
            ":port); images are only pushed over plain HTTP to a registry on this machine"
        )


def push(archive: Path, ref: str, registry: str, progress: Progress | None = None) -> str:
    """Push ``archive`` to the plain-HTTP ``registry`` on loopback as ``ref``'s repository and tag.

    ``ref``'s own registry is replaced: ``docker.io/argosy/demo-web:v1`` goes to
    ``<registry>/argosy/demo-web:v1``. Returns the pushed ``<registry>/<name>@sha256:...``.
    Only loopback registries are accepted, because the push skips TLS.
    """
    require_loopback(registry)
    parsed = parse_image(ref)
    if parsed.digest or not parsed.name:
        raise ImageError(f"push of {archive}: {ref!r} must be name[:tag] without a digest")
    target = f"{registry}/{parsed.name}:{parsed.tag or 'latest'}"
    out = _run(
        [_crane(progress), "push", "--insecure", str(archive), target], f"crane push of {archive} to {target}"
    )
    return out.strip().splitlines()[-1] if out.strip() else target


def load_into_containerd(archive: Path, address: str | Path, namespace: str = "k8s.io") -> list[str]:
    """Import ``archive`` into the containerd listening on socket ``address``, in ``namespace``.

    ``k8s.io`` is the namespace the CRI plugin (so the kubelet) reads. The image is unpacked for the
    default snapshotter, so a Pod starts without a pull. Returns the image names ``ctr`` reports.
    """
    ctr = shutil.which("ctr")
    if ctr is None:
        raise ImageError(
            "ctr is not installed: it comes with Debian's containerd (apt-get install containerd)"
        )
    out = _run(
        [
            ctr,
            "--address",
            str(address),
            "-n",
            namespace,
            "images",
            "import",
            "--platform",
            PLATFORM,
            str(archive),
        ],
        f"importing {archive} into containerd at {address} (namespace {namespace})",
    )
    # ctr prints "unpacking <name> (sha256:...)...done" per image.
    return re.findall(r"unpacking (\S+) \(", out)
