"""The demo-web images: built from Debian's busybox-static, served as nobody, pushed to a loopback
registry whose manifest is the one ``image_digest`` reports, and reproducible bit for bit.

No cluster: needs crane, apt-get (a Debian mirror) and Debian's docker-registry."""

from __future__ import annotations

import hashlib
import json
import tarfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from argosy.devcluster import image_set, images
from support.oci_registry import OciRegistry

MANIFEST_TYPES = ", ".join(
    (
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
    )
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return image_set.demo_web_images(root=tmp_path_factory.mktemp("images-a"))


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OciRegistry]:
    if not OciRegistry.available():
        pytest.fail("docker-registry is not installed: run dev/setup.sh")
    with OciRegistry(tmp_path_factory.mktemp("registry")) as reg:
        yield reg


def _get(url: str, accept: str = "") -> tuple[bytes, dict[str, str]]:
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    with urllib.request.urlopen(request, timeout=30) as resp:
        return resp.read(), dict(resp.headers)


def test_demo_image_serves_www_as_nobody(demo: dict[str, Path]) -> None:
    assert sorted(demo) == ["v1", "v2", "v3", "v4"]
    config = images.image_config(demo["v4"])["config"]
    assert config["User"] == "65534:65534"
    assert config["Entrypoint"][:2] == ["/bin/busybox", "httpd"]
    assert "8080/tcp" in config["ExposedPorts"]
    with tarfile.open(demo["v4"]) as outer:
        manifest = json.load(outer.extractfile("manifest.json"))  # type: ignore[arg-type]
        www = outer.extractfile(manifest[0]["Layers"][-1])
        assert www is not None
        with tarfile.open(fileobj=www, mode="r:gz") as layer:
            page = layer.extractfile("www/index.html").read().decode()  # type: ignore[union-attr]
            names = layer.getnames()
    assert page.count("☕") == 4 and "v4" in page
    assert "www/healthz" in names


def test_pushed_manifest_is_the_reported_digest(demo: dict[str, Path], registry: OciRegistry) -> None:
    archive = demo["v1"]
    pushed = images.push(archive, "docker.io/argosy/demo-web:v1", registry.host)
    digest = images.image_digest(archive)
    assert pushed == f"{registry.host}/argosy/demo-web@{digest}"
    body, headers = _get(f"{registry.url}/v2/argosy/demo-web/manifests/v1", MANIFEST_TYPES)
    assert headers["Docker-Content-Digest"] == digest
    assert f"sha256:{hashlib.sha256(body).hexdigest()}" == digest
    manifest = json.loads(body)
    assert len(manifest["layers"]) == 2
    config_blob, _ = _get(f"{registry.url}/v2/argosy/demo-web/blobs/{manifest['config']['digest']}")
    config = json.loads(config_blob)
    assert (config["os"], config["architecture"]) == ("linux", "amd64")
    assert config["config"]["Labels"]["org.opencontainers.image.version"] == "v1"


def test_same_demo_image_from_two_empty_caches_has_the_same_digest(
    demo: dict[str, Path], tmp_path: Path
) -> None:
    again = image_set.demo_web_images(root=tmp_path / "images-b")
    assert again["v2"] != demo["v2"], "the second build must use its own cache"
    assert images.image_digest(again["v2"]) == images.image_digest(demo["v2"])
    assert again["v2"].read_bytes() == demo["v2"].read_bytes()


def test_busybox_image_has_a_shell_and_the_test_tools(tmp_path: Path) -> None:
    archive = image_set.busybox_image(root=tmp_path)
    assert images.image_config(archive)["config"]["Cmd"] == ["sh"]
    with tarfile.open(archive) as outer:
        manifest = json.load(outer.extractfile("manifest.json"))  # type: ignore[arg-type]
        assert manifest[0]["RepoTags"] == ["docker.io/library/busybox:argosy"]
        blob = outer.extractfile(manifest[0]["Layers"][0])
        assert blob is not None
        with tarfile.open(fileobj=blob, mode="r:gz") as layer:
            names = set(layer.getnames())
    assert {"bin/busybox", "bin/sh", "bin/sleep", "usr/bin/nslookup", "usr/bin/wget", "etc/passwd"} <= names
