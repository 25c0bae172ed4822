"""Image archives written by the pinned crane: the config asked for (os/arch set, so ``ctr import``
needs no --all-platforms), layers in order, the tag, and the cache (a second build runs nothing).

No cluster: these need only crane (built on first use) and write under the test's temp folder."""

from __future__ import annotations

import hashlib
import json
import tarfile
from pathlib import Path

import pytest

from argosy.devcluster import images
from argosy.devcluster.image_set import TarEntry, layer_bytes

REF = "docker.io/argosy/spec-test:v7"


def _layer(path: Path, content: bytes) -> Path:
    path.write_bytes(layer_bytes([TarEntry("data/file.txt", content)]))
    return path


@pytest.fixture
def spec(tmp_path: Path) -> images.ImageSpec:
    return images.ImageSpec(
        REF,
        (_layer(tmp_path / "one.tar", b"one"), _layer(tmp_path / "two.tar", b"two")),
        entrypoint=("/bin/busybox", "sh", "-c"),
        cmd=("echo a,b; sleep 1",),
        env=(("GREETING", "hello, world"), ("MODE", "x=y")),
        user="65534:65534",
        workdir="/data",
        ports=("8080/tcp", "9090/udp"),
        labels=(("org.opencontainers.image.version", "v7"), ("note", "a,b")),
    )


def test_archive_holds_the_config_asked_for(spec: images.ImageSpec, tmp_path: Path) -> None:
    archive = images.build_image(spec, root=tmp_path / "cache")
    config = images.image_config(archive)
    assert (config["os"], config["architecture"]) == ("linux", "amd64")
    inner = config["config"]
    assert isinstance(inner, dict)
    assert inner["Entrypoint"] == ["/bin/busybox", "sh", "-c"]
    assert inner["Cmd"] == ["echo a,b; sleep 1"]
    assert inner["Env"] == ["GREETING=hello, world", "MODE=x=y"]
    assert inner["User"] == "65534:65534"
    assert inner["WorkingDir"] == "/data"
    assert set(inner["ExposedPorts"]) == {"8080/tcp", "9090/udp"}
    assert inner["Labels"] == {"org.opencontainers.image.version": "v7", "note": "a,b"}
    # The uncompressed layer digests are the layer files' own, in the order given.
    wanted = [f"sha256:{hashlib.sha256(p.read_bytes()).hexdigest()}" for p in spec.layers]
    assert config["rootfs"] == {"type": "layers", "diff_ids": wanted}
    with tarfile.open(archive) as tar:
        handle = tar.extractfile("manifest.json")
        assert handle is not None
        manifest = json.load(handle)
    assert manifest[0]["RepoTags"] == [REF]
    assert images.image_digest(archive).startswith("sha256:")


def test_second_build_is_a_cache_hit(
    spec: images.ImageSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "cache"
    first = images.build_image(spec, root=root)
    before = first.stat().st_mtime_ns

    def no_crane(args: list[str], what: str, timeout: float = 0) -> str:
        raise AssertionError(f"cache hit expected, but ran {args}")

    monkeypatch.setattr(images, "_run", no_crane)
    assert images.build_image(spec, root=root) == first
    assert first.stat().st_mtime_ns == before
    assert [p.name for p in root.iterdir()] == [first.name], "temporary files left in the cache"


def test_changed_layer_content_builds_a_new_archive(spec: images.ImageSpec, tmp_path: Path) -> None:
    root = tmp_path / "cache"
    first = images.build_image(spec, root=root)
    first_digest = images.image_digest(first)
    _layer(spec.layers[1], b"two, changed")
    second = images.build_image(spec, root=root)
    assert second != first and first.is_file()
    assert images.image_digest(second) != first_digest


def test_a_layer_that_is_no_tar_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tar"
    bad.write_bytes(b"this is not a tar file")
    with pytest.raises(images.ImageError, match=r"image docker.io/x/bad:1: layer .*bad\.tar is not a tar"):
        images.build_image(images.ImageSpec("docker.io/x/bad:1", (bad,)), root=tmp_path / "cache")


def test_failed_crane_step_names_image_and_step_and_leaves_nothing(
    spec: images.ImageSpec, tmp_path: Path
) -> None:
    root = tmp_path / "cache"
    bad_ref = "docker.io/argosy/UPPER-case:v1"  # crane refuses upper-case repository names
    with pytest.raises(images.ImageError, match=r"image docker.io/argosy/UPPER-case:v1: crane mutate"):
        images.build_image(images.ImageSpec(bad_ref, spec.layers), root=root)
    assert list(root.iterdir()) == []
