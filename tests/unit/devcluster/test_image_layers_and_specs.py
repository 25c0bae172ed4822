"""Image building without crane or gcc: deterministic layers, crane's CSV flags, the loopback rule,
the coffee page, and errors that name the image and the file."""

from __future__ import annotations

import csv
import io
import tarfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from argosy.cli.dev import dev_app
from argosy.devcluster import image_set, images
from argosy.devcluster.image_set import TarEntry


def _members(data: bytes) -> list[tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return tar.getmembers()


def test_layer_is_sorted_owned_by_root_with_fixed_mtime_and_parents() -> None:
    entries = [
        TarEntry("www/sub/b.txt", b"b"),
        TarEntry("/www/a.txt", b"a", 0o600),
        TarEntry("bin/sh", link="/bin/busybox"),
        TarEntry("tmp", mode=0o1777),
    ]
    data = image_set.layer_bytes(entries)
    assert data == image_set.layer_bytes(reversed(entries)), "entry order changed the layer bytes"
    members = {m.name: m for m in _members(data)}
    assert list(members) == sorted(members)
    assert {"bin", "www", "www/sub"} <= set(members), "parent directories missing"
    assert all(m.mtime == 0 and m.uid == 0 and m.gid == 0 for m in members.values())
    assert members["www"].isdir() and members["www"].mode == 0o755
    assert members["tmp"].mode == 0o1777
    assert members["www/a.txt"].mode == 0o600 and members["www/a.txt"].size == 1
    assert members["bin/sh"].issym() and members["bin/sh"].linkname == "/bin/busybox"


def test_write_layer_is_content_addressed(tmp_path: Path) -> None:
    one = image_set.write_layer("x", [TarEntry("a", b"1")], tmp_path)
    same = image_set.write_layer("x", [TarEntry("a", b"1")], tmp_path)
    other = image_set.write_layer("x", [TarEntry("a", b"2")], tmp_path)
    assert one == same and one != other
    assert sorted(p.name for p in (tmp_path / "layers").iterdir()) == sorted({one.name, other.name})


@pytest.mark.parametrize("value", ["plain", "a,b", 'say "hi"', "", " lead"])
def test_flag_values_survive_pflag_csv_reading(value: str) -> None:
    # pflag's string slices read each value with encoding/csv; Python's reader follows the same rules.
    assert next(csv.reader([images._csv_item(value)])) == [value]


@pytest.mark.parametrize(
    "registry", ["127.0.0.1:5000", "localhost:5000", "localhost", "[::1]:5000", "127.1.2.3"]
)
def test_loopback_registries_are_accepted(registry: str) -> None:
    images.require_loopback(registry)


@pytest.mark.parametrize("registry", ["example.com:5000", "10.0.0.1:5000", "docker.io", "localhost.evil.com"])
def test_other_registries_are_refused(registry: str) -> None:
    with pytest.raises(images.ImageError, match="not on loopback"):
        images.require_loopback(registry)


def test_push_refuses_a_remote_registry_before_running_crane(tmp_path: Path) -> None:
    with pytest.raises(images.ImageError, match=r"'registry-1\.docker\.io' is not on loopback"):
        images.push(tmp_path / "x.tar", "docker.io/argosy/demo-web:v1", "registry-1.docker.io")


@pytest.mark.parametrize("version", image_set.DEMO_WEB_VERSIONS)
def test_coffee_page_shows_version_and_n_cups(version: str) -> None:
    page = image_set.demo_web_page(version)
    assert f'<span id="version">{version}</span>' in page
    assert page.count("☕") == int(version[1:])


def test_spec_without_layers_is_refused(tmp_path: Path) -> None:
    with pytest.raises(images.ImageError, match=r"image docker.io/x/y:1: no layers"):
        images.build_image(images.ImageSpec("docker.io/x/y:1", ()), root=tmp_path)


def test_missing_layer_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope.tar"
    with pytest.raises(images.ImageError, match=r"nope\.tar cannot be read"):
        images.build_image(images.ImageSpec("docker.io/x/y:1", (missing,)), root=tmp_path)


def test_cache_key_follows_layer_content_and_config(tmp_path: Path) -> None:
    layer = tmp_path / "l.tar"
    layer.write_bytes(image_set.layer_bytes([TarEntry("a", b"1")]))
    spec = images.ImageSpec("docker.io/x/y:1", (layer,), user="1000")
    key = images.cache_key(spec)
    assert images.cache_key(images.ImageSpec("docker.io/x/y:1", (layer,), user="1000")) == key
    assert images.cache_key(images.ImageSpec("docker.io/x/y:1", (layer,), user="1001")) != key
    layer.write_bytes(image_set.layer_bytes([TarEntry("a", b"2")]))
    assert images.cache_key(spec) != key, "a changed layer file must change the cache key"
    assert images.archive_path(spec, tmp_path).name.startswith("y-1-")


def test_cli_refuses_a_remote_push_target_before_building(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARGOSY_CACHE_DIR", str(tmp_path))
    result = CliRunner().invoke(dev_app, ["images", "build", "--push", "registry.example.com:5000"])
    assert result.exit_code == 1
    assert "not on loopback" in result.output
    assert list(tmp_path.iterdir()) == [], "nothing may be built for a refused push"


def test_cli_builds_the_argosy_image_beside_the_node_images(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    node_archive, argosy_archive = tmp_path / "pause.tar", tmp_path / "argosy.tar"
    monkeypatch.setattr(image_set, "all_images", lambda progress=None: {image_set.PAUSE_REF: node_archive})
    monkeypatch.setattr(image_set, "argosy_image", lambda progress=None: argosy_archive)
    monkeypatch.setattr(images, "image_digest", lambda path: f"sha256:{path.stem}")
    result = CliRunner().invoke(dev_app, ["images", "build"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert f"{image_set.PAUSE_REF}\tsha256:pause\t{node_archive}" in lines
    assert f"{image_set.argosy_ref()}\tsha256:argosy\t{argosy_archive}" in lines


def test_cli_names_a_cluster_it_cannot_load_into_before_building(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARGOSY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ARGOSY_STATE_DIR", str(tmp_path / "state"))
    result = CliRunner().invoke(dev_app, ["images", "build", "--load", "nowhere"])
    assert result.exit_code == 1
    assert "cluster nowhere is not up" in result.output
    assert not (tmp_path / "cache").exists(), "nothing may be built for a cluster that is not up"
