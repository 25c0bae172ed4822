"""Chart archives with entries that climb out (``../``), absolute paths, or links out of the
archive ("zip slip"), served by a real Helm repository and a real OCI registry: refused with
an error naming the entry, and nothing written outside the repo server's cache directory."""

from __future__ import annotations

import io
import json
import tarfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from argosy.repo import RenderRequest, RenderResult, RepoService
from argosy.repo.errors import HelmRepoError, RepoError
from argosy.repo.helmrepo import unpack
from argosy.settings.repositories import RepositoryStore
from support.helm_repo import HelmRepoServer
from support.oci_images import ImagePusher
from support.oci_registry import OciRegistry
from support.secrets import application, repo_secret

CHART_YAML = yaml.safe_dump({"apiVersion": "v2", "name": "c", "version": "0.1.0"})
TEMPLATE = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-chart\n"
MARK = uuid.uuid4().hex[:12]
HOSTILE: dict[str, tuple[str, str, str]] = {  # case -> (entry name, kind, link target or content)
    "parent entry": (f"c/../../../zipslip-{MARK}.txt", "file", "escaped"),
    "absolute entry": (f"/tmp/zipslip-{MARK}.txt", "file", "escaped"),
    "symlink to /etc/passwd": ("c/templates/passwd.yaml", "symlink", "/etc/passwd"),
    "symlink climbing out": ("c/templates/up", "symlink", "../../../../../../tmp"),
    "hardlink to /etc/passwd": ("c/templates/hard.yaml", "hardlink", "/etc/passwd"),
    "hardlink climbing out": ("c/templates/hard2.yaml", "hardlink", "../../../etc/passwd"),
}


def archive(extra: tuple[str, str, str] | None = None) -> bytes:
    """A gzipped chart ``c`` 0.1.0, plus one hand-made entry (tarfile writes what it is told)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        entries = [("c/Chart.yaml", "file", CHART_YAML), ("c/templates/cm.yaml", "file", TEMPLATE)]
        for name, kind, value in entries + ([extra] if extra else []):
            info = tarfile.TarInfo(name)
            data = value.encode() if kind == "file" else b""
            if kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, value
            elif kind == "hardlink":
                info.type, info.linkname = tarfile.LNKTYPE, value
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _escaped_files() -> list[Path]:
    return [
        p for p in (Path("/tmp") / f"zipslip-{MARK}.txt", Path("/") / f"zipslip-{MARK}.txt") if p.exists()
    ]


def _render(service: RepoService, source: dict[str, Any], secrets: list[dict[str, Any]]) -> RenderResult:
    store = RepositoryStore.from_objects(secrets)
    return service.render(RenderRequest.from_application(application(source), repositories=store))


@pytest.fixture(scope="module")
def hostile_repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HelmRepoServer]:
    """One chart repository with a chart per case (``c`` at a version per case), its own index."""
    with HelmRepoServer(tmp_path_factory.mktemp("hostile-charts")) as server:
        entries = []
        for i, case in enumerate(["clean", *sorted(HOSTILE)]):
            data = archive(None if case == "clean" else HOSTILE[case])
            (server.dir / f"c-0.1.{i}.tgz").write_bytes(data)
            entries.append(
                {"name": "c", "version": f"0.1.{i}", "apiVersion": "v2", "urls": [f"c-0.1.{i}.tgz"]}
            )
        (server.dir / "index.yaml").write_text(
            yaml.safe_dump({"apiVersion": "v1", "entries": {"c": entries}})
        )
        yield server


def _version(case: str) -> str:
    return f"0.1.{['clean', *sorted(HOSTILE)].index(case)}"


def test_a_clean_hand_made_archive_renders(hostile_repo: HelmRepoServer, tmp_path: Path) -> None:
    service = RepoService(tmp_path / "cache", timeout=30)
    source = {"repoURL": hostile_repo.url, "chart": "c", "targetRevision": _version("clean")}
    assert [m["metadata"]["name"] for m in _render(service, source, []).manifests()] == ["from-chart"]


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_chart_archive_from_a_helm_repository_is_refused(
    hostile_repo: HelmRepoServer, tmp_path: Path, case: str
) -> None:
    cache = tmp_path / "cache"
    service = RepoService(cache, timeout=30)
    source = {"repoURL": hostile_repo.url, "chart": "c", "targetRevision": _version(case)}
    before = {p for p in tmp_path.rglob("*")}
    with pytest.raises(HelmRepoError, match="refused") as info:
        _render(service, source, [])
    entry = HOSTILE[case][0]
    assert repr(entry) in str(info.value) and f"c-{_version(case)}.tgz" in str(info.value)
    created = {p for p in tmp_path.rglob("*")} - before
    assert all(p.is_relative_to(cache) for p in created), created
    assert not [p for p in created if "zipslip" in p.name or p.name in ("passwd.yaml", "hard.yaml")]
    assert not _escaped_files()


def test_links_that_stay_inside_the_archive_are_kept_as_argo_cd_keeps_them(tmp_path: Path) -> None:
    unpack(archive(("c/templates/again.yaml", "symlink", "cm.yaml")), tmp_path, "c.tgz")
    assert (tmp_path / "c/templates/again.yaml").read_text() == TEMPLATE


def test_a_gzip_bomb_stops_at_the_extracted_size_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("argosy.repo.helmrepo.MAX_EXTRACTED_BYTES", 1 << 20)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for i in range(4):
            info = tarfile.TarInfo(f"c/templates/zeros-{i}.bin")
            info.size = 512 * 1024
            tar.addfile(info, io.BytesIO(bytes(info.size)))
    started = time.process_time()
    with pytest.raises(HelmRepoError, match="unpacks to more than 1048576 bytes"):
        unpack(buf.getvalue(), tmp_path / "out", "bomb.tgz")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.bin"))
    assert time.process_time() - started < 2


HELM_CONFIG = "application/vnd.cncf.helm.config.v1+json"
HELM_LAYER = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"


def test_hostile_chart_archive_from_an_oci_registry_is_refused(tmp_path: Path) -> None:
    """``helm pull --untar`` unpacks OCI charts; Helm's loader refuses what escapes, and the copy
    is checked for out-of-bounds symlinks: nothing lands outside the cache either way."""
    if not OciRegistry.available():
        pytest.fail("docker-registry is not installed: run dev/setup.sh")
    with OciRegistry(tmp_path / "registry") as registry:
        pusher = ImagePusher(registry.url)
        try:
            for i, case in enumerate(sorted(HOSTILE)):
                layer = archive(HOSTILE[case])
                config = json.dumps(yaml.safe_load(CHART_YAML) | {"version": f"0.2.{i}"}).encode()
                manifest = {
                    "schemaVersion": 2,
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": {
                        "mediaType": HELM_CONFIG,
                        "digest": pusher._blob("charts/c", config),
                        "size": len(config),
                    },
                    "layers": [
                        {
                            "mediaType": HELM_LAYER,
                            "digest": pusher._blob("charts/c", layer),
                            "size": len(layer),
                        }
                    ],
                }
                pusher._manifest("charts/c", f"0.2.{i}", json.dumps(manifest).encode(), manifest["mediaType"])
        finally:
            pusher.close()
        secret = repo_secret(
            url=f"{registry.host}/charts", type="helm", enableOCI="true", insecureOCIForceHttp="true"
        )
        for i, case in enumerate(sorted(HOSTILE)):
            cache = tmp_path / f"cache-{i}"
            service = RepoService(cache, timeout=30)
            source = {"repoURL": f"{registry.host}/charts", "chart": "c", "targetRevision": f"0.2.{i}"}
            outcome = "rendered"
            try:
                result = _render(service, source, [secret])
                names = sorted(m["metadata"]["name"] for m in result.manifests())
                assert names == ["from-chart"], f"{case}: {names}"
            except RepoError as exc:
                outcome = str(exc)
            print(f"OCI {case}: {outcome[:200]}")
            assert not _escaped_files(), case
            assert not list(cache.rglob("passwd.yaml")) or all(
                p.stat().st_size == 0 for p in cache.rglob("passwd.yaml")
            ), f"{case}: /etc/passwd content reached the chart"
