"""The repo server's disk fails under it: its render cache read-only or full, its directory gone.

The render cache on disk only saves work, so a disk that refuses writes must
not fail renders: the real ``argosy repo-server`` process runs in its own
mount namespace with a tmpfs over ``<cache-dir>/manifests``, first tiny and
filled to the last byte, then remounted read-only; it keeps rendering from
memory, says once per cause in its log which directory failed and why, and
counts the failures in ``/api/v1/stats``. (A read-only mount rather than
``chmod 0``: the suite may run as root, which ignores permission bits.) A working
directory that cannot be entered fails the render with a typed error naming it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from argosy.repo import HttpRepoClient, RenderRequest, RenderResult, execute
from argosy.repo.errors import StorageError
from support.git_server import GitHttpServer
from support.naming import unique
from support.repo_server_process import RepoServerProcess
from support.secrets import application

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  blob: {blob}\n"

# sh -c SCRIPT DIR argv...: in a private mount namespace, a 64 KiB tmpfs over DIR filled to
# the last byte, then exec argv (the repo server).
_FULL = 'mount -t tmpfs -o size=64k tmpfs "$0" && { cat /dev/zero > "$0/.fill" 2>/dev/null; exec "$@"; }'


def _in_namespace(pid: int, script: str) -> None:
    """Run ``script`` in the mount namespace of ``pid`` (its user namespace's root may mount)."""
    subprocess.run(
        ["nsenter", "-t", str(pid), "-U", "-m", "--preserve-credentials", "sh", "-c", script],
        check=True,
        capture_output=True,
        timeout=30,
    )


def test_render_cache_disk_full_then_read_only_renders_from_memory(
    git_server: GitHttpServer, tmp_path: Path
) -> None:
    for tool in ("unshare", "nsenter"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} (util-linux) is needed to give the repo server a private tmpfs")
    name = unique("disk")
    repo = git_server.create_repo(name)
    repo.commit({"full/cm.yaml": CM.format(name="full", blob="x" * 32768)})
    repo.commit({"ro/cm.yaml": CM.format(name="ro", blob="y" * 32768)})
    manifests = tmp_path / "rs" / "manifests"
    manifests.mkdir(parents=True)
    wrap = ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", _FULL, str(manifests)]
    server = RepoServerProcess(tmp_path / "rs", wrap=wrap).start()
    client = HttpRepoClient(server.url, timeout=60)
    renders: dict[str, list[RenderResult]] = {}
    stats: dict[str, dict[str, Any]] = {}
    try:
        for fault in ("full", "ro"):
            if fault == "ro":  # the disk is freed, and the directory turns read-only
                _in_namespace(server.pid, f"rm -f {manifests}/.fill && mount -o remount,ro {manifests}")
            app = application({"repoURL": git_server.url(name), "path": fault})
            renders[fault] = [client.render(RenderRequest.from_application(app)) for _ in range(2)]
            stats[fault] = server.stats()
    finally:
        client.close()
        server.stop()
    for fault, count in (("full", 1), ("ro", 2)):
        first, second = renders[fault]
        assert [o["metadata"]["name"] for o in first.manifests()] == [fault]
        assert second.manifests() == first.manifests(), "the second render is the same, from memory"
        assert stats[fault]["renders"] == count, f"{fault}: the repeat came from memory: {stats[fault]}"
    assert stats["full"]["cacheDiskErrors"] >= 1 and stats["ro"]["cacheDiskErrors"] >= 2, stats
    warnings = [line for line in server.log().splitlines() if "render cache directory" in line]
    assert len(warnings) == 2, f"one warning per cause, not one per render: {warnings}"
    for warning, reason in zip(warnings, ("No space left on device", "Read-only file system"), strict=True):
        assert str(manifests) in warning and reason in warning, warning
        assert "memory" in warning and "free space" in warning, "the warning says what to do"
    assert not list(manifests.rglob("*.json")), "nothing reached the real directory under the mount"


def test_working_directory_that_cannot_be_entered_is_a_typed_error_naming_it(tmp_path: Path) -> None:
    gone = tmp_path / "cache" / "git" / "0123abcd"
    with pytest.raises(StorageError) as caught:
        execute.run(["git", "status"], cwd=gone, timeout=10)
    assert str(gone) in str(caught.value) and "--cache-dir" in str(caught.value)
