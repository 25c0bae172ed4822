"""The argosy image's two layers, unpacked and entered with chroot, run Argosy and its tools.

Needs root and Debian's debootstrap (skipped otherwise). The first run builds the layers (about
two minutes: debootstrap, apt-get and pip download from the mirrors); later runs reuse them.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from argosy import __version__
from argosy.devcluster import build, rootfs

_SBIN_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("debootstrap", path=_SBIN_PATH) is None,
    reason="building the image's layers needs root and debootstrap (apt-get install debootstrap)",
)

USERS = [pytest.param(None, id="root"), pytest.param(f"{rootfs.UID}:{rootfs.GID}", id="argosy-user")]


@pytest.fixture(scope="module")
def image_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    build.ensure((build.HELM, build.KUSTOMIZE, build.SOPS))
    started = time.monotonic()
    layers = [rootfs.base_rootfs(progress=print), rootfs.argosy_layer(progress=print)]
    sizes = ", ".join(f"{p.name} {p.stat().st_size / 1e6:.0f} MB" for p in layers)
    print(f"layers ready in {time.monotonic() - started:.0f}s: {sizes}")
    root = tmp_path_factory.mktemp("argosy-image")
    for layer in layers:  # in order: the argosy layer's /etc/passwd replaces the base's
        subprocess.run(["tar", "-xf", str(layer), "-C", str(root), "--numeric-owner"], check=True)
    for name, minor in (("null", 3), ("zero", 5), ("random", 8), ("urandom", 9)):
        node = root / "dev" / name  # a container runtime provides /dev; chroot does not
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, minor))
        node.chmod(0o666)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def _run(root: Path, userspec: str | None, *args: str) -> subprocess.CompletedProcess[str]:
    chroot = shutil.which("chroot", path=_SBIN_PATH)
    assert chroot is not None
    user = [f"--userspec={userspec}"] if userspec else []
    env = dict(rootfs.argosy_image_config()["env"])
    return subprocess.run(
        [chroot, *user, str(root), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def _ok(root: Path, userspec: str | None, *args: str) -> str:
    proc = _run(root, userspec, *args)
    assert proc.returncode == 0, f"{' '.join(args)} exited {proc.returncode}: {proc.stderr[-2000:]}"
    return proc.stdout


@pytest.mark.parametrize("userspec", USERS)
def test_argosy_and_its_tools_run(image_root: Path, userspec: str | None) -> None:
    assert _ok(image_root, userspec, "/usr/local/bin/argosy", "--version").strip() == f"argosy {__version__}"
    assert _ok(image_root, userspec, "git", "--version").startswith("git version 2.")
    assert _ok(image_root, userspec, "helm", "version", "--short").startswith(build.HELM.version)
    assert _ok(image_root, userspec, "kustomize", "version").strip() == build.KUSTOMIZE.version
    sops = _ok(image_root, userspec, "sops", "--version", "--disable-version-check")
    assert sops.startswith(f"sops {build.SOPS.version.lstrip('v')}")
    assert _ok(image_root, userspec, "gpg", "--version").startswith("gpg (GnuPG) 2.")
    assert _ok(image_root, userspec, "ssh", "-V") == ""  # ssh prints its version on stderr
    assert "Usage" in _ok(image_root, userspec, "argosy", "repo-server", "--help")


def test_the_entrypoint_runs_as_the_image_user_with_a_writable_home(image_root: Path) -> None:
    config = rootfs.argosy_image_config()
    out = _ok(image_root, config["user"], *config["entrypoint"], "--version")
    assert out.strip() == f"argosy {__version__}"
    assert _ok(image_root, config["user"], "id", "-un").strip() == rootfs.USER
    _ok(image_root, config["user"], "gpg", "--batch", "--list-keys")  # creates ~/.gnupg
    assert (image_root / rootfs.HOME.lstrip("/") / ".gnupg").is_dir()
    denied = _run(image_root, config["user"], "touch", f"{rootfs.VENV}/bin/intruder")
    assert denied.returncode != 0, "the image user must not be able to change Argosy's venv"


def test_the_layers_hold_no_caches_docs_or_host_files(image_root: Path) -> None:
    assert list((image_root / "var/lib/apt/lists").iterdir()) == []
    assert not list((image_root / "var/cache/apt").glob("**/*.deb"))
    docs = [p for p in (image_root / "usr/share/doc").rglob("*") if p.is_file() and p.name != "copyright"]
    assert docs == []
    assert (image_root / "etc/resolv.conf").read_text() == ""
    assert not (image_root / "usr/local/bin/pip").exists()
    assert not list((image_root / rootfs.VENV.lstrip("/") / "bin").glob("pip*"))


def test_byte_code_stays_valid_without_comparing_mtimes(image_root: Path) -> None:
    site = image_root / rootfs.VENV.lstrip("/") / "lib/python3.11/site-packages"
    for pyc in (
        site / "argosy/__pycache__/__init__.cpython-311.pyc",
        image_root / "usr/lib/python3.11/__pycache__/os.cpython-311.pyc",
    ):
        flags = int.from_bytes(pyc.read_bytes()[4:8], "little")
        assert flags == 0b01, (
            f"{pyc} is not an unchecked-hash pyc (flags {flags:#b}): Python would recompile it"
        )
