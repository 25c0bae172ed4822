"""The two filesystem layers of the ``argosy`` image, built from Debian packages and this checkout.

No registry is reachable and no container engine runs here, so the image is assembled from
layer tarballs (``argosy.devcluster.images`` turns them into an OCI archive):

- :func:`base_rootfs`: Debian bookworm from ``debootstrap --variant=minbase`` plus what Argosy
  runs at run time (python3, git, gnupg, openssh-client, ca-certificates, tini), installed with
  ``apt-get`` inside the chroot without recommends, docs, apt lists or byte-code;
- :func:`argosy_layer`: a venv at ``/opt/argosy`` with Argosy (a wheel of this checkout, so with
  the web UI bundle when it is built) and its dependencies, the pinned helm, kustomize and sops,
  and the non-root user ``argosy`` (999:999).

Both need root (debootstrap, chroot). Every chroot step runs in a private mount namespace
(``unshare --mount``), so the ``/proc`` and ``/dev`` it mounts vanish with it even when the
build is killed: nothing is left mounted on the host. Layers are cached under
``<cache>/rootfs/``, written to a temporary folder and renamed into place when complete; tar
entries get one fixed mtime, sorted names and numeric owners, so the same tree gives the same
layer file.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from argosy import __version__
from argosy.devcluster import build
from argosy.devcluster.paths import cache_dir, checkout_dir

FORMAT = 1  # bump when the way a layer is built changes, so cached layers are rebuilt
SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
SECURITY_MIRROR = "http://deb.debian.org/debian-security"
PACKAGES = ("ca-certificates", "git", "gnupg", "openssh-client", "python3", "tini")
TOOLS = ("helm", "kustomize", "sops")
# Any fixed time works; not 0, which ZIP (wheels, pip) cannot represent if files are reused.
LAYER_MTIME = 946684800  # 2000-01-01T00:00:00Z
UID = GID = 999
USER = "argosy"
HOME = "/home/argosy"
VENV = "/opt/argosy"
PATH_ENV = f"{VENV}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
KEEP_ARGOSY_LAYERS = 3  # each edit of the checkout makes a new layer; older ones are pruned

# Never unpacked by dpkg in the image (the base's own packages are cleaned after debootstrap).
_DPKG_EXCLUDES = """\
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-exclude=/usr/share/lintian/*
"""
_APT_CONF = 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n'
_SOURCES = f"""\
Types: deb
URIs: {MIRROR}
Suites: {SUITE} {SUITE}-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: {SECURITY_MIRROR}
Suites: {SUITE}-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""
_CHROOT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class RootfsError(RuntimeError):
    """A layer could not be built; the message names the step and shows its log tail."""


Progress = build.Progress


def rootfs_dir() -> Path:
    return cache_dir() / "rootfs"


def argosy_image_config() -> dict[str, Any]:
    """The image's run settings, as keyword arguments of ``images.ImageSpec`` (tuples and pairs).

    One image serves every component: the command picks the role (``controller``,
    ``repo-server``, ``server``...), as Argo CD's image does. tini is PID 1 so the git, helm
    and gpg processes Argosy starts are reaped and signals reach Argosy. The user is numeric so
    the kubelet can enforce ``runAsNonRoot``.
    """
    return {
        "entrypoint": ("/usr/bin/tini", "--", "argosy"),
        "cmd": ("--help",),
        "env": (("PATH", PATH_ENV), ("HOME", HOME), ("LANG", "C.UTF-8"), ("PYTHONUNBUFFERED", "1")),
        "user": f"{UID}:{GID}",
        "workdir": HOME,
        "labels": (
            ("org.opencontainers.image.title", "argosy"),
            ("org.opencontainers.image.version", __version__),
            ("org.opencontainers.image.description", "Argosy with git, gpg, ssh, helm, kustomize and sops"),
        ),
    }


def base_key(packages: tuple[str, ...] = PACKAGES, suite: str = SUITE) -> str:
    blob = json.dumps({"format": FORMAT, "suite": suite, "packages": sorted(packages)}).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


def base_rootfs(progress: Progress | None = None) -> Path:
    """The cached base layer: Debian minbase plus :data:`PACKAGES`; built first when missing."""
    out = rootfs_dir() / f"base-{SUITE}-{base_key()}.tar"
    if out.is_file():
        return out
    say = progress or (lambda _msg: None)
    _require_root()
    debootstrap = _tool("debootstrap", "apt-get install debootstrap (dev/setup.sh installs it)")
    started = time.monotonic()
    with _workdir("base") as (work, log):
        root = work / "root"
        say(f"debootstrap --variant=minbase {SUITE} ({MIRROR})")
        unshare = [_tool("unshare"), "--mount", "--propagation", "private", "--"]
        debootstrap_args = ["--variant=minbase", "--components=main", SUITE, str(root), MIRROR]
        debootstrap_log = root / "debootstrap" / "debootstrap.log"
        _run([*unshare, debootstrap, *debootstrap_args], "debootstrap", log, also=debootstrap_log)
        _write(root / "etc/dpkg/dpkg.cfg.d/90argosy-slim", _DPKG_EXCLUDES)
        _write(root / "etc/apt/apt.conf.d/90argosy-slim", _APT_CONF)
        (root / "etc/apt/sources.list").unlink(missing_ok=True)
        _write(root / "etc/apt/sources.list.d/debian.sources", _SOURCES)
        _write(root / "usr/sbin/policy-rc.d", "#!/bin/sh\nexit 101\n", mode=0o755)  # start no daemon
        say(f"apt-get install {' '.join(PACKAGES)} (in the chroot)")
        apt = "apt-get -y -q -o Dpkg::Use-Pty=0"  # no progress bars in the log
        script = (
            f"{apt} update && {apt} upgrade && "
            f"{apt} install --no-install-recommends {' '.join(PACKAGES)} && {apt} clean"
        )
        _chroot(root, ["sh", "-c", script], "apt-get in chroot", log)
        (root / "usr/sbin/policy-rc.d").unlink()
        _slim(root)
        _compile(root, ["/usr/lib/python3.11", "/usr/lib/python3/dist-packages"], log)
        say("tar of the base layer")
        _tar(root, ["."], work / "layer.tar", log)
        _publish(work / "layer.tar", out)
    say(f"base layer {out.name}: {_mb(out)} in {time.monotonic() - started:.0f}s")
    return out


def argosy_layer(progress: Progress | None = None) -> Path:
    """The cached Argosy layer (venv, tools, user) on top of :func:`base_rootfs`.

    pip runs inside the chroot with the base's own ``/usr/bin/python3``: the host's Python is
    a different build at another path (here pyenv's 3.11.7, Debian's is 3.11.2), so a venv made
    on the host would point at an interpreter the image does not have. The installed
    dependency versions are those of the environment running this (``pip freeze`` as
    constraints), so the image runs what the tests ran.
    """
    say = progress or (lambda _msg: None)
    base = base_rootfs(progress)
    tools = {name: build.binary(name) for name in TOOLS}
    started = time.monotonic()
    with _workdir("argosy") as (work, log):
        say("pip wheel --no-deps (this checkout)")
        wheel = _build_wheel(_checkout(), work, log)
        constraints = _constraints()
        digest = hashlib.sha256()
        # The base's mtime too: a rebuilt base (same key, newer Debian updates) gets a new layer.
        base_id = f"{base.name}@{base.stat().st_mtime_ns}"
        for part in (str(FORMAT), base_id, _wheel_digest(wheel), constraints):
            digest.update(part.encode() + b"\0")
        for name, path in sorted(tools.items()):
            digest.update(f"{name}={path.parent.name}\0".encode())  # the build entry: name-version
        out = rootfs_dir() / f"argosy-{__version__}-{digest.hexdigest()[:12]}.tar"
        if out.is_file():
            return out
        _require_root()
        root = work / "root"
        root.mkdir()
        _run([_tool("tar"), "-xf", str(base), "-C", str(root), "--numeric-owner"], "tar (extract base)", log)
        stage = root / "tmp/argosy-build"
        stage.mkdir(parents=True)
        shutil.copy2(wheel, stage / wheel.name)
        _write(stage / "constraints.txt", constraints)
        shutil.copyfile(_host_ca_bundle(), stage / "ca.pem")
        shutil.copytree(_pip_dir(), stage / "pylib/pip")
        say(f"pip install {wheel.name} into {VENV} (in the chroot)")
        _chroot(root, ["/usr/bin/python3", "-m", "venv", "--without-pip", VENV], "venv in chroot", log)
        pip = [f"{VENV}/bin/python", "-m", "pip", "install", "--no-cache-dir", "--no-compile"]
        pip += ["--cert", "/tmp/argosy-build/ca.pem", "-c", "/tmp/argosy-build/constraints.txt"]
        env = {"PYTHONPATH": "/tmp/argosy-build/pylib", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
        env.update({k: v for k, v in os.environ.items() if k in _PIP_PASS_THROUGH})
        _chroot(root, [*pip, f"/tmp/argosy-build/{wheel.name}"], "pip install in chroot", log, env)
        shutil.rmtree(stage)
        _compile(root, [f"{VENV}/lib"], log)
        bindir = root / "usr/local/bin"
        (bindir / "argosy").symlink_to(f"{VENV}/bin/argosy")
        for name, path in tools.items():
            shutil.copyfile(path, bindir / name)
            (bindir / name).chmod(0o755)
        _add_user(root)
        say("tar of the argosy layer")
        members = ["etc/passwd", "etc/group", HOME, VENV, *(f"usr/local/bin/{n}" for n in ("argosy", *TOOLS))]
        _tar(root, [f"./{m.lstrip('/')}" for m in members], work / "layer.tar", log)
        _publish(work / "layer.tar", out)
    _prune(out)
    say(f"argosy layer {out.name}: {_mb(out)} in {time.monotonic() - started:.0f}s")
    return out


_PIP_PASS_THROUGH = ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_DEFAULT_TIMEOUT", "PIP_TRUSTED_HOST")


def _checkout() -> Path:
    root = checkout_dir()
    if root is None:
        raise RootfsError(
            f"no checkout above {Path(__file__).parent}: the argosy layer is built from a checkout"
        )
    return root


def _build_wheel(checkout: Path, work: Path, log: Path) -> Path:
    """A wheel of the checkout; fails when it would ship no web UI (``argosy server`` serves it).

    Built from a copy of the project's files: setuptools builds in the source tree and would
    ship whatever an older build left in the checkout's ``build/lib`` (deleted modules too).
    """
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(checkout / name, source / name)
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc")
    shutil.copytree(checkout / "src", source / "src", ignore=skip)
    dest = work / "wheel"
    env = dict(os.environ, SOURCE_DATE_EPOCH=str(LAYER_MTIME))
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dest), str(source)]
    _run(cmd, "pip wheel", log, env=env)
    wheels = sorted(dest.glob("argosy-*.whl"))
    if len(wheels) != 1:
        raise RootfsError(f"pip wheel wrote {wheels or 'no wheel'} into {dest}, expected one argosy wheel")
    with zipfile.ZipFile(wheels[0]) as zf:
        if "argosy/server/webui/dist/index.html" not in zf.namelist():
            raise RootfsError(
                f"the web UI is not built in {checkout / 'src/argosy/server/webui/dist'}, so the image "
                "would serve no UI: run `bash dev/setup.sh` (npm ci && npm run build in ui/) first"
            )
    return wheels[0]


def _wheel_digest(wheel: Path) -> str:
    """Digest of the wheel's member names and contents: zip timestamps do not count."""
    digest = hashlib.sha256()
    with zipfile.ZipFile(wheel) as zf:
        for name in sorted(zf.namelist()):
            digest.update(name.encode() + b"\0" + hashlib.sha256(zf.read(name)).digest())
    return digest.hexdigest()


def _constraints() -> str:
    """``pip freeze`` of the running environment: the image gets the versions the tests ran with."""
    cmd = [sys.executable, "-m", "pip", "freeze", "--exclude-editable", "--all"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RootfsError(f"pip freeze failed (exit {proc.returncode}): {proc.stderr.strip()[-500:]}")
    lines = [
        line
        for line in proc.stdout.splitlines()
        if "==" in line and not line.lower().startswith(("argosy==", "pip==", "setuptools==", "wheel=="))
    ]
    return "\n".join(sorted(lines, key=str.lower)) + "\n"


def _pip_dir() -> Path:
    """The running pip's package, run from ``PYTHONPATH`` in the chroot, so pip stays out of the image."""
    spec = importlib.util.find_spec("pip")
    if spec is None or spec.origin is None:
        raise RootfsError(f"pip is not installed for {sys.executable}: it builds and installs the wheel")
    return Path(spec.origin).parent


def _host_ca_bundle() -> Path:
    """The host's CA bundle: this network may intercept TLS with a CA that only the host trusts."""
    for candidate in (os.environ.get("PIP_CERT"), os.environ.get("SSL_CERT_FILE")):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    import ssl

    cafile = ssl.get_default_verify_paths().cafile
    return Path(cafile or "/etc/ssl/certs/ca-certificates.crt")


def _add_user(root: Path) -> None:
    """The ``argosy`` user and group as whole /etc/passwd and /etc/group files of this layer."""
    for fname, entry in (
        ("passwd", f"{USER}:x:{UID}:{GID}:Argosy:{HOME}:/usr/sbin/nologin"),
        ("group", f"{USER}:x:{GID}:"),
    ):
        path = root / "etc" / fname
        lines = path.read_text().splitlines()
        for line in lines:
            fields = line.split(":")
            if fields[0] == USER or (len(fields) > 2 and fields[2] == str(UID)):
                raise RootfsError(f"{path} already has {line!r}: uid/gid {UID} is taken in the base layer")
        path.write_text("\n".join([*lines, entry]) + "\n")
    home = root / HOME.lstrip("/")
    home.mkdir(parents=True)
    home.chmod(0o755)
    os.chown(home, UID, GID)


def _slim(root: Path) -> None:
    """Drop what a container never reads: apt lists and caches, docs, logs, byte-code, host files."""
    for rel in ("var/lib/apt/lists", "var/cache/apt", "tmp", "var/tmp", "run", "dev"):
        _empty(root / rel)
    for log in (root / "var/log").rglob("*"):  # apt and dpkg expect their log folders
        if not log.is_dir():
            log.unlink()
    for rel in ("usr/share/man", "usr/share/info", "usr/share/locale", "usr/share/lintian"):
        _empty(root / rel)
    doc = root / "usr/share/doc"
    for path in sorted(doc.rglob("*"), reverse=True):
        if path.is_file() or path.is_symlink():
            if path.name != "copyright":
                path.unlink()
        elif not any(path.iterdir()):
            path.rmdir()
    for pattern in ("var/cache/debconf/*-old", "var/lib/dpkg/*-old", "var/cache/ldconfig/aux-cache"):
        for path in root.glob(pattern):
            path.unlink()
    _remove_pycache(root / "usr")
    # The runtime mounts its own; the host's (copied by debootstrap) must not leak into the image.
    _write(root / "etc/resolv.conf", "")
    _write(root / "etc/hostname", "")
    if (root / "etc/machine-id").exists():
        _write(root / "etc/machine-id", "")


def _compile(root: Path, folders: list[str], log: Path) -> None:
    """Byte-code that stays valid in the image: ``unchecked-hash`` pycs do not compare mtimes.

    Debian's and pip's pycs record the source's mtime, which the layer's fixed mtime voids, and
    the non-root user cannot write new ones: Python would recompile every module in memory at
    every start (``argosy controller --help``: 5.5 s instead of 0.8 s). Tests and the
    Kubernetes client's asyncio copy (``kubernetes/aio``, 28 MB of byte-code) are never imported.
    """
    compileall = ["/usr/bin/python3", "-m", "compileall", "-q", "-j1", "--invalidation-mode"]
    compileall += ["unchecked-hash", "-x", "/kubernetes/aio/|/tests?/|/idlelib/", *folders]
    _chroot(root, compileall, "compileall in chroot", log, {"PYTHONHASHSEED": "0"})


def _empty(folder: Path) -> None:
    if not folder.is_dir():
        return
    for child in folder.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def _remove_pycache(folder: Path) -> None:
    for cache in sorted(folder.rglob("__pycache__")):
        shutil.rmtree(cache, ignore_errors=True)


def _tar(root: Path, members: list[str], out: Path, log: Path) -> None:
    """Reproducible layer: sorted names, one mtime, numeric owners, no atime/ctime/PID in headers."""
    cmd = [_tool("tar"), "--create", f"--file={out}", f"--directory={root}", "--sort=name"]
    cmd += [f"--mtime=@{LAYER_MTIME}", "--numeric-owner", "--format=posix"]
    cmd += ["--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime", "--", *members]
    _run(cmd, "tar", log, env=dict(os.environ, LC_ALL="C"))


def _chroot(root: Path, args: list[str], step: str, log: Path, env: dict[str, str] | None = None) -> None:
    """Run ``args`` in ``root`` with /proc and /dev mounted in a mount namespace of its own."""
    shutil.copyfile("/etc/resolv.conf", root / "etc/resolv.conf")  # emptied again before tar
    script = 'mount -t proc proc "$0/proc" && mount --rbind /dev "$0/dev" && exec chroot "$0" "$@"'
    full_env = {"PATH": _CHROOT_PATH, "HOME": "/root", "LANG": "C.UTF-8", "DEBIAN_FRONTEND": "noninteractive"}
    for proxy in ("http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"):
        if proxy in os.environ:
            full_env[proxy] = os.environ[proxy]
    full_env.update(env or {})
    cmd = [_tool("unshare"), "--mount", "--propagation", "private", "--", "sh", "-c", script, str(root)]
    try:
        _run([*cmd, *args], step, log, env=full_env)
    finally:
        _write(root / "etc/resolv.conf", "")


def _run(
    cmd: list[str], step: str, log: Path, env: dict[str, str] | None = None, also: Path | None = None
) -> None:
    with log.open("a") as out:
        out.write(f"$ {' '.join(cmd)}\n")
        out.flush()
        proc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, check=False)
    if proc.returncode != 0:
        message = f"{step} failed (exit {proc.returncode}); last lines of {log}:\n{_tail(log)}"
        if also is not None and also.is_file():
            message += f"\nlast lines of {also.name}:\n{_tail(also)}"
        raise RootfsError(message)


def _tail(path: Path, lines: int = 20) -> str:
    return "\n".join(path.read_text(errors="replace").strip().splitlines()[-lines:])


@contextmanager
def _workdir(name: str) -> Iterator[tuple[Path, Path]]:
    """A temporary build folder next to the cache (same file system, so the rename is atomic).

    The log stays at ``<cache>/rootfs/<name>.log`` after the build, failed or not.
    """
    folder = rootfs_dir()
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / f"{name}.log"
    log.write_text("")
    work = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=folder))
    try:
        yield work, log
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _publish(tmp: Path, out: Path) -> None:
    if not out.exists():  # a concurrent build that finished first wins; both are the same
        tmp.rename(out)


def _prune(keep: Path) -> None:
    prune_argosy_tars(keep, KEEP_ARGOSY_LAYERS - 1)


def prune_argosy_tars(keep: Path, others: int) -> None:
    """Delete ``argosy-*.tar`` beside ``keep`` but ``keep`` and the ``others`` newest: each edit of
    the checkout makes another layer (and image archive) of a few hundred MB."""
    older = sorted(keep.parent.glob("argosy-*.tar"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in [p for p in older if p != keep][others:]:
        old.unlink(missing_ok=True)


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)


def _require_root() -> None:
    if os.geteuid() != 0:
        raise RootfsError(
            "building the argosy image's layers needs root (debootstrap and chroot create files owned "
            "by other users): run the command as root, e.g. with sudo"
        )


def _tool(name: str, install: str = "it is part of Debian's base system") -> str:
    found = shutil.which(name, path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"]))
    if found is None:
        raise RootfsError(f"{name} is not installed or not on PATH: {install}")
    return found


def _mb(path: Path) -> str:
    return f"{path.stat().st_size / 1e6:.1f} MB"
