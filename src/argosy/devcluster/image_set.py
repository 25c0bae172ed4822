"""The images a real node of the local cluster runs, built here from Debian packages and a C file.

* ``registry.k8s.io/pause:3.10``: the Pod sandbox (the name containerd's CRI config is given). A tiny
  static C program as Kubernetes' own: it holds the Pod's namespaces, reaps zombies, exits 0 on
  SIGINT/SIGTERM.
* ``docker.io/argosy/demo-web:v1``..``v4``: the tutorial's coffee page (N cups for vN) served by
  ``busybox httpd`` on port 8080 as ``nobody``, with ``/healthz`` for readiness probes.
* ``docker.io/library/busybox:argosy``: a shell with ``sleep``, ``nslookup``, ``wget`` for test Pods.

busybox comes from Debian's ``busybox-static`` (``apt-get download``, cached). Layer tarballs are
written with fixed owners, modes and mtimes in a fixed order, so the same inputs give the same
digest on any machine with the same package and compiler versions.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from argosy.devcluster.images import ImageError, ImageSpec, Progress, build_image, images_dir

PAUSE_REF = "registry.k8s.io/pause:3.10"
DEMO_WEB_REPO = "docker.io/argosy/demo-web"
DEMO_WEB_VERSIONS = ("v1", "v2", "v3", "v4")
DEMO_WEB_PORT = 8080
BUSYBOX_REF = "docker.io/library/busybox:argosy"
NOBODY = "65534:65534"
PAUSE_USER = "65535:65535"  # what Kubernetes' pause image runs as
PATH_ENV = ("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")

# Kubernetes' build/pause/linux/pause.c, with async-signal-safe exits.
PAUSE_C = r"""
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static void sigdown(int signo) {
  (void)signo;
  static const char msg[] = "Shutting down, got signal\n";
  (void)!write(2, msg, sizeof msg - 1);
  _exit(0);
}

static void sigreap(int signo) {
  (void)signo;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "-v") == 0) {
    printf("pause (argosy)\n");
    return 0;
  }
  if (getpid() != 1) fprintf(stderr, "Warning: pause should be the first process\n");
  struct sigaction down = {.sa_handler = sigdown};
  if (sigaction(SIGINT, &down, NULL) < 0) return 1;
  if (sigaction(SIGTERM, &down, NULL) < 0) return 2;
  struct sigaction reap = {.sa_handler = sigreap, .sa_flags = SA_NOCLDSTOP};
  if (sigaction(SIGCHLD, &reap, NULL) < 0) return 3;
  for (;;) pause();
  fprintf(stderr, "Error: infinite loop terminated\n");
  return 42;
}
"""


@dataclass(frozen=True)
class TarEntry:
    """A file (``data``), a symlink (``link``) or, with neither, a directory of a layer."""

    path: str
    data: bytes | None = None
    mode: int = 0o644
    link: str = ""


def layer_bytes(entries: Iterable[TarEntry]) -> bytes:
    """A tar of ``entries`` owned by root, mtime 0, sorted by path, parent directories added (0755)."""
    by_path: dict[str, TarEntry] = {}
    for entry in entries:
        pure = PurePosixPath(entry.path.strip("/"))
        for parent in reversed(pure.parents[:-1]):
            by_path.setdefault(str(parent), TarEntry(str(parent), mode=0o755))
        by_path[str(pure)] = TarEntry(str(pure), entry.data, entry.mode, entry.link)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(by_path):
            entry = by_path[name]
            info = tarfile.TarInfo(name)
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
            if entry.link:
                info.type, info.linkname, info.mode = tarfile.SYMTYPE, entry.link, 0o777
                tar.addfile(info)
            elif entry.data is None:
                info.type, info.mode = tarfile.DIRTYPE, entry.mode
                tar.addfile(info)
            else:
                info.size, info.mode = len(entry.data), entry.mode
                tar.addfile(info, io.BytesIO(entry.data))
    return buf.getvalue()


def _store(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file, then rename) unless it is there."""
    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_layer(name: str, entries: Iterable[TarEntry], root: Path | None = None) -> Path:
    """Store a layer tarball under ``<images>/layers/<name>-<content digest>.tar``."""
    data = layer_bytes(entries)
    return _store(images_dir(root) / "layers" / f"{name}-{hashlib.sha256(data).hexdigest()[:16]}.tar", data)


def _step(args: list[str], what: str, cwd: Path | None = None) -> None:
    try:
        proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ImageError(f"{what} failed: {exc}") from exc
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-15:])
        raise ImageError(f"{what} failed (exit {proc.returncode}):\n{tail}")


def busybox_deb(root: Path | None = None, progress: Progress | None = None) -> Path:
    """Debian's ``busybox-static`` package, downloaded once into ``<images>/debs``."""
    debs = images_dir(root) / "debs"
    found = sorted(debs.glob("busybox-static_*.deb"))
    if found:
        return found[-1]
    debs.mkdir(parents=True, exist_ok=True)
    (progress or (lambda _m: None))("downloading Debian package busybox-static (apt-get download)")
    work = Path(tempfile.mkdtemp(prefix=".download.", dir=debs))
    try:
        _step(
            ["apt-get", "download", "busybox-static"],
            "step 'apt-get download busybox-static' (is a Debian mirror reachable? run apt-get update)",
            cwd=work,
        )
        downloaded = sorted(work.glob("busybox-static_*.deb"))
        if not downloaded:
            raise ImageError("step 'apt-get download busybox-static' produced no busybox-static_*.deb")
        dest = debs / downloaded[-1].name
        os.replace(downloaded[-1], dest)
        return dest
    finally:
        shutil.rmtree(work, ignore_errors=True)


def busybox_layer(root: Path | None = None, progress: Progress | None = None) -> Path:
    """busybox with a link per applet, ``/etc/passwd`` (root, nobody), ``/tmp``; cached per package."""
    deb = busybox_deb(root, progress)
    cached = images_dir(root) / "layers" / f"busybox-{re.sub(r'[^A-Za-z0-9._+-]', '_', deb.stem)}.tar"
    if cached.is_file():
        return cached
    work = Path(tempfile.mkdtemp(prefix=".busybox.", dir=images_dir(root)))
    try:
        _step(["dpkg-deb", "-x", str(deb), str(work)], f"step 'dpkg-deb -x {deb.name}'")
        binary = work / "bin" / "busybox"
        try:
            applets = subprocess.run(
                [str(binary), "--list-full"], capture_output=True, text=True, timeout=30, check=True
            ).stdout.split()
        except (OSError, subprocess.SubprocessError) as exc:
            raise ImageError(f"step 'busybox --list-full' of {deb.name} failed: {exc}") from exc
        entries = [
            TarEntry("bin/busybox", binary.read_bytes(), 0o755),
            *(TarEntry(a, link="/bin/busybox") for a in applets if a != "bin/busybox"),
            TarEntry(
                "usr/share/doc/busybox-static/copyright",
                (work / "usr/share/doc/busybox-static/copyright").read_bytes(),
            ),
            TarEntry(
                "etc/passwd", b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n"
            ),
            TarEntry("etc/group", b"root:x:0:\nnogroup:x:65534:\n"),
            TarEntry("root", mode=0o700),
            TarEntry("tmp", mode=0o1777),
        ]
        return _store(cached, layer_bytes(entries))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def pause_layer(root: Path | None = None, progress: Progress | None = None) -> Path:
    """``/pause`` built with ``gcc -Os -static`` from :data:`PAUSE_C`; cached per source."""
    cached = images_dir(root) / "layers" / f"pause-{hashlib.sha256(PAUSE_C.encode()).hexdigest()[:16]}.tar"
    if cached.is_file():
        return cached
    if shutil.which("gcc") is None:
        raise ImageError(
            "step 'gcc -Os -static pause.c': gcc is not installed (apt-get install gcc libc6-dev)"
        )
    (progress or (lambda _m: None))("compiling pause (gcc -Os -static)")
    images_dir(root).mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".pause.", dir=images_dir(root)))
    try:
        (work / "pause.c").write_text(PAUSE_C)
        _step(
            ["gcc", "-Os", "-static", "-s", "-o", "pause", "pause.c"], "step 'gcc -Os -static pause.c'", work
        )
        return _store(cached, layer_bytes([TarEntry("pause", (work / "pause").read_bytes(), 0o755)]))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def pause_image(progress: Progress | None = None, *, root: Path | None = None) -> Path:
    spec = ImageSpec(PAUSE_REF, (pause_layer(root, progress),), entrypoint=("/pause",), user=PAUSE_USER)
    return build_image(spec, progress, root=root)


def demo_web_page(version: str) -> str:
    """The coffee page of ``vN``: the version and N cups, as the image-updater tutorial's image."""
    cups = int(version.removeprefix("v"))
    return (
        '<!doctype html>\n<html><head><meta charset="utf-8">'
        f"<title>demo-web {version}</title></head>\n"
        '<body style="font-family:sans-serif;text-align:center">\n'
        f'<h1>demo-web <span id="version">{version}</span></h1>\n'
        f'<p id="cups" style="font-size:72px">{"☕" * cups}</p>\n'
        "</body></html>\n"
    )


def demo_web_images(progress: Progress | None = None, *, root: Path | None = None) -> dict[str, Path]:
    """``{"v1": archive, ..., "v4": archive}`` of ``docker.io/argosy/demo-web``."""
    base = busybox_layer(root, progress)
    out = {}
    for version in DEMO_WEB_VERSIONS:
        www = write_layer(
            f"demo-web-{version}",
            [
                TarEntry("www/index.html", demo_web_page(version).encode()),
                TarEntry("www/healthz", b"ok\n"),
            ],
            root,
        )
        spec = ImageSpec(
            f"{DEMO_WEB_REPO}:{version}",
            (base, www),
            entrypoint=("/bin/busybox", "httpd", "-f", "-v", "-p", str(DEMO_WEB_PORT), "-h", "/www"),
            env=(PATH_ENV,),
            user=NOBODY,
            workdir="/www",
            ports=(f"{DEMO_WEB_PORT}/tcp",),
            labels=(
                ("org.opencontainers.image.title", "demo-web"),
                ("org.opencontainers.image.version", version),
            ),
        )
        out[version] = build_image(spec, progress, root=root)
    return out


def busybox_image(progress: Progress | None = None, *, root: Path | None = None) -> Path:
    spec = ImageSpec(BUSYBOX_REF, (busybox_layer(root, progress),), cmd=("sh",), env=(PATH_ENV,))
    return build_image(spec, progress, root=root)


def all_images(progress: Progress | None = None, *, root: Path | None = None) -> dict[str, Path]:
    """``{ref: archive}`` of every image above, building what the cache lacks."""
    found = {PAUSE_REF: pause_image(progress, root=root), BUSYBOX_REF: busybox_image(progress, root=root)}
    for version, archive in demo_web_images(progress, root=root).items():
        found[f"{DEMO_WEB_REPO}:{version}"] = archive
    return found


ARGOSY_REPO = "docker.io/argosy/argosy"


def argosy_ref() -> str:
    """The reference the install bundles and the chart name by default (tag: Argosy's version)."""
    from argosy import __version__

    return f"{ARGOSY_REPO}:{__version__}"


def argosy_image(progress: Progress | None = None, *, root: Path | None = None) -> Path:
    """Argosy's one image for every component: a Debian minbase layer and Argosy's own layer
    (:mod:`argosy.devcluster.rootfs`; the first build takes ~2-3 minutes, then it is cached)."""
    from argosy.devcluster import rootfs

    layers = (rootfs.base_rootfs(progress), rootfs.argosy_layer(progress))
    spec = ImageSpec(ref=argosy_ref(), layers=layers, **rootfs.argosy_image_config())
    archive = build_image(spec, progress, root=root)
    # ~185 MB per edit of the checkout; one more kept than layers: concurrent runs may be importing.
    rootfs.prune_argosy_tars(archive, rootfs.KEEP_ARGOSY_LAYERS)
    return archive
