"""The repo server's disk fails under it: its render cache read-only or full, its directory gone.

The render cache on disk only saves work, so a disk that refuses writes must
not fail renders: the real ``argosy repo-server`` process runs in its own
mount namespace with a tmpfs mounted over ``<cache-dir>/manifests`` - mounted
read-only, or tiny and filled to the last byte - and keeps rendering from
memory, says once in its log which directory failed and why, and counts the
failures in ``/api/v1/stats``. (A read-only mount rather than ``chmod 0``:
the suite may run as root, which ignores permission bits.) A working
directory that cannot be entered fails the render with a typed error naming it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from argosy.repo import HttpRepoClient, RenderRequest, execute
from argosy.repo.errors import StorageError
from support.git_server import GitHttpServer
from support.naming import unique
from support.repo_server_process import RepoServerProcess
from support.secrets import application

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  blob: {blob}\n"

# sh -c SCRIPT DIR argv...: mount a tmpfs over DIR in a private mount namespace, then exec argv.
_MOUNTS = {
    "read-only": 'mount -t tmpfs -o ro,size=64k tmpfs "$0" && exec "$@"',
    "full": 'mount -t tmpfs -o size=64k tmpfs "$0" && { cat /dev/zero > "$0/.fill" 2>/dev/null; exec "$@"; }',
}
_REASONS = {"read-only": "Read-only file system", "full": "No space left on device"}


def _wrapped(directory: Path, fault: str) -> list[str]:
    if shutil.which("unshare") is None:
        pytest.fail("unshare (util-linux) is needed to give the repo server a private tmpfs")
    directory.mkdir(parents=True, exist_ok=True)
    return ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", _MOUNTS[fault], str(directory)]


@pytest.mark.parametrize("fault", ["read-only", "full"])
def test_render_cache_disk_read_only_or_full_renders_from_memory(
    git_server: GitHttpServer, tmp_path: Path, fault: str
) -> None:
    name = unique("disk")
    cm = name + "-cm"
    git_server.create_repo(name).commit({"app/cm.yaml": CM.format(name=cm, blob="x" * 32768)})
    manifests = tmp_path / "rs" / "manifests"
    server = RepoServerProcess(tmp_path / "rs", wrap=_wrapped(manifests, fault)).start()
    client = HttpRepoClient(server.url, timeout=60)
    try:
        req = RenderRequest.from_application(application({"repoURL": git_server.url(name), "path": "app"}))
        first = client.render(req)
        second = client.render(req)
        stats = server.stats()
    finally:
        client.close()
        server.stop()
    assert [o["metadata"]["name"] for o in first.manifests()] == [cm]
    assert second.manifests() == first.manifests(), "the second render is the same, from memory"
    assert stats["renders"] == 1, f"the second request was served from the in-memory cache: {stats}"
    assert stats["cacheDiskErrors"] >= 1, f"the failed disk write was counted: {stats}"
    warnings = [line for line in server.log().splitlines() if "render cache directory" in line]
    assert len(warnings) == 1, f"one warning per cause, not one per render: {warnings}"
    assert str(manifests) in warnings[0] and _REASONS[fault] in warnings[0], warnings[0]
    assert "memory" in warnings[0] and "free space" in warnings[0], "the warning says what to do"


def test_working_directory_that_cannot_be_entered_is_a_typed_error_naming_it(tmp_path: Path) -> None:
    gone = tmp_path / "cache" / "git" / "0123abcd"
    with pytest.raises(StorageError) as caught:
        execute.run(["git", "status"], cwd=gone, timeout=10)
    assert str(gone) in str(caught.value) and "--cache-dir" in str(caught.value)
