"""The image layers' rules that need no debootstrap: cache keys, failures, tar, user, config."""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

import pytest

from argosy.devcluster import rootfs


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ARGOSY_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_base_key_follows_packages_suite_and_format(monkeypatch: pytest.MonkeyPatch) -> None:
    key = rootfs.base_key()
    assert rootfs.base_key(tuple(reversed(rootfs.PACKAGES))) == key  # order does not matter
    assert rootfs.base_key((*rootfs.PACKAGES, "curl")) != key
    assert rootfs.base_key(suite="trixie") != key
    monkeypatch.setattr(rootfs, "FORMAT", rootfs.FORMAT + 1)
    assert rootfs.base_key() != key


def test_failed_debootstrap_is_named_with_its_log_tail_and_leaves_nothing(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "debootstrap"
    fake.write_text("#!/bin/sh\necho 'E: Failed getting release file bookworm' >&2\nexit 1\n")
    fake.chmod(0o755)
    unshare = bindir / "unshare"  # a mount namespace needs root; this test does not
    unshare.write_text('#!/bin/sh\nwhile [ "$1" != -- ]; do shift; done; shift; exec "$@"\n')
    unshare.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    with pytest.raises(rootfs.RootfsError) as info:
        rootfs.base_rootfs()
    message = str(info.value)
    assert message.startswith("debootstrap failed (exit 1)")
    assert "Failed getting release file bookworm" in message
    assert sorted(p.name for p in (cache / "rootfs").iterdir()) == ["base.log"]


def test_building_without_root_says_so(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(rootfs.RootfsError, match="needs root"):
        rootfs.base_rootfs()


def _tree(root: Path, mtime: int) -> None:
    (root / "etc").mkdir(parents=True)
    (root / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    (root / "usr/bin").mkdir(parents=True)
    (root / "usr/bin/tool").write_text("#!/bin/sh\n")
    (root / "usr/bin/tool").chmod(0o755)
    (root / "usr/bin/alias").symlink_to("tool")
    for path in root.rglob("*"):
        os.utime(path, (mtime, mtime), follow_symlinks=False)


def test_tar_of_the_same_tree_is_byte_identical(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    _tree(first, 1_600_000_000)
    _tree(second, 1_700_000_000)
    log = tmp_path / "log"
    rootfs._tar(first, ["."], tmp_path / "a.tar", log)
    rootfs._tar(second, ["."], tmp_path / "b.tar", log)
    assert (tmp_path / "a.tar").read_bytes() == (tmp_path / "b.tar").read_bytes()
    with tarfile.open(tmp_path / "a.tar") as tf:
        members = tf.getmembers()
    assert [m.name for m in members] == sorted(m.name for m in members)
    assert {m.mtime for m in members} == {rootfs.LAYER_MTIME}
    assert all(m.uname == "" and m.gname == "" for m in members), "owners must be numeric only"


def test_user_entries_are_appended_and_a_taken_uid_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "chown", lambda *_args: None)  # the unit test does not run as root
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (tmp_path / "etc/group").write_text("root:x:0:\n")
    rootfs._add_user(tmp_path)
    passwd = (tmp_path / "etc/passwd").read_text().splitlines()
    assert passwd == [
        "root:x:0:0:root:/root:/bin/bash",
        "argosy:x:999:999:Argosy:/home/argosy:/usr/sbin/nologin",
    ]
    assert (tmp_path / "etc/group").read_text().splitlines()[-1] == "argosy:x:999:"
    assert (tmp_path / "home/argosy").is_dir()

    taken = tmp_path / "taken"
    (taken / "etc").mkdir(parents=True)
    (taken / "etc/passwd").write_text("systemd-timesync:x:999:999::/:/usr/sbin/nologin\n")
    (taken / "etc/group").write_text("")
    with pytest.raises(rootfs.RootfsError, match="uid/gid 999 is taken"):
        rootfs._add_user(taken)


def test_image_config_runs_argosy_under_tini_as_the_layers_user() -> None:
    config = rootfs.argosy_image_config()
    assert config["entrypoint"] == ("/usr/bin/tini", "--", "argosy")
    assert config["user"] == f"{rootfs.UID}:{rootfs.GID}"
    env = dict(config["env"])
    assert env["HOME"] == config["workdir"] == rootfs.HOME
    assert "/usr/local/bin" in env["PATH"].split(":")
    hash(tuple(config.values()))  # ImageSpec is frozen: every field must be hashable
    assert set(config) == {"entrypoint", "cmd", "env", "user", "workdir", "labels"}
