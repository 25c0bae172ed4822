"""The registry client and scanner against Debian's docker-registry on loopback, with images pushed here.

No cluster: a plain registry and one with basic auth over TLS, images with
controlled tags, creation dates and platforms (:mod:`support.oci_images`).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from argosy.imageupdater.client import RegistryError
from argosy.imageupdater.config import UpdateSettings
from argosy.imageupdater.credentials import CredentialResolver
from argosy.imageupdater.reference import parse_image
from argosy.imageupdater.registries import Registries
from argosy.imageupdater.scan import Scanner
from support.oci_images import ImagePusher
from support.oci_registry import OciRegistry

USER = ("puller", "s3cret-pull")


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OciRegistry]:
    if not OciRegistry.available():
        pytest.fail("docker-registry is not installed: run dev/setup.sh")
    with OciRegistry(tmp_path_factory.mktemp("images")) as reg:
        yield reg


@pytest.fixture(scope="module")
def private_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OciRegistry]:
    with OciRegistry(tmp_path_factory.mktemp("images-private"), auth=USER, tls=True) as reg:
        yield reg


@pytest.fixture(scope="module")
def pushed(registry: OciRegistry) -> dict[str, str]:
    pusher = ImagePusher(registry.url)
    digests = {}
    for tag, created in [
        ("v1", "2024-01-01T00:00:00Z"),
        ("v2", "2024-02-01T00:00:00Z"),
        ("v4", "2024-03-01T00:00:00Z"),
        ("v3", "2024-05-01T00:00:00Z"),  # a backport: built last
        ("v5.0.0-rc.1", "2024-06-01T00:00:00Z"),
        ("latest", "2024-03-01T00:00:00Z"),
    ]:
        digests[tag] = pusher.push("team/app", tag, created=created)
    pusher.push_index("team/multi", "v1", ["linux/amd64", "linux/arm64"], created="2024-01-01T00:00:00Z")
    pusher.push_index("team/multi", "v2", ["linux/amd64"], created="2024-02-01T00:00:00Z")
    pusher.close()
    return digests


def scanner(reg: OciRegistry, secrets: dict[tuple[str, str], Any] | None = None, **entry: Any) -> Scanner:
    conf = {"registries": [{"name": "local", "prefix": reg.host, "api_url": reg.url, **entry}]}
    resolver = CredentialResolver(lambda ns, name: (secrets or {}).get((ns, name)))
    return Scanner(Registries.parse(json.dumps(conf)), resolver)


def newest(s: Scanner, image: str, **settings: Any) -> str | None:
    found = s.newest(parse_image(image), UpdateSettings(**settings))
    return found.tag.name if found.tag else None


def test_each_strategy_against_a_real_registry(registry: OciRegistry, pushed: dict[str, str]) -> None:
    s = scanner(registry)
    image = f"{registry.host}/team/app"
    assert newest(s, image) == "v4"
    assert newest(s, f"{image}:vx") == "v4"
    assert newest(s, f"{image}:>=5.0.0-0") == "v5.0.0-rc.1"
    assert newest(s, f"{image}:~1") == "v1"
    assert newest(s, image, update_strategy="newest-build", ignore_tags=("v5*",)) == "v3"
    assert newest(s, image, update_strategy="alphabetical", allow_tags="regexp:^v[0-9]$") == "v4"
    found = s.newest(parse_image(f"{image}:latest"), UpdateSettings(update_strategy="digest"))
    assert found.tag is not None and found.tag.digest == pushed["latest"]


def test_platforms_pick_from_multi_arch_indexes(registry: OciRegistry, pushed: dict[str, str]) -> None:
    s = scanner(registry)
    image = f"{registry.host}/team/multi"
    assert newest(s, image) == "v2"
    assert newest(s, image, platforms=("linux/arm64",)) == "v1"
    assert newest(s, image, update_strategy="newest-build", platforms=("linux/arm64",)) == "v1"
    assert newest(s, image, platforms=("linux/s390x",)) is None


def test_tags_are_read_once_per_cycle(registry: OciRegistry, pushed: dict[str, str]) -> None:
    """(Pagination is covered by a unit test: docker-registry 2.8 does not paginate tag lists.)"""
    calls: list[str] = []
    s = scanner(registry)
    s._hook = lambda name, ok, seconds: calls.append(name)
    image = f"{registry.host}/team/app"
    assert newest(s, image, update_strategy="newest-build") == "v5.0.0-rc.1"
    first = len(calls)
    assert first == 1 + 6 * 2  # the tag list, then manifest + config per tag
    for _ in range(5):
        assert newest(s, image, update_strategy="newest-build") == "v5.0.0-rc.1"
    assert len(calls) == first, "a cycle reads the tag list once and metadata is cached"
    s.new_cycle()
    newest(s, image, update_strategy="newest-build")
    assert len(calls) == first + 1, "a new cycle re-reads the tag list only"


def test_rate_limit_is_respected(registry: OciRegistry, pushed: dict[str, str]) -> None:
    calls: list[float] = []
    s = scanner(registry, limit=10)
    s._hook = lambda name, ok, seconds: calls.append(time.monotonic())
    newest(s, f"{registry.host}/team/app", update_strategy="newest-build")
    assert len(calls) >= 13
    assert calls[-1] - calls[0] >= (len(calls) - 1) / 10 * 0.9


def test_basic_auth_over_tls_with_each_credential_form(
    private_registry: OciRegistry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pusher = ImagePusher(private_registry.url, auth=USER, ca_pem=private_registry.ca_pem)
    pusher.push("private/app", "1.0.0")
    pusher.push("private/app", "1.1.0")
    pusher.close()
    image = f"{private_registry.host}/private/app"
    ca = {"ca": private_registry.ca_pem}

    with pytest.raises(RegistryError) as err:
        newest(scanner(private_registry, **ca), image)
    assert err.value.reason == RegistryError.UNAUTHORIZED

    creds = f"{USER[0]}:{USER[1]}"
    docker_config = json.dumps({"auths": {private_registry.host: {"username": USER[0], "password": USER[1]}}})
    secrets = {
        ("argocd", "field"): {"stringData": {"creds": creds}},
        ("argocd", "pull"): {"stringData": {".dockerconfigjson": docker_config}},
    }
    script = tmp_path / "creds.sh"
    script.write_text(f"#!/bin/sh\necho '{creds}'\n")
    script.chmod(0o700)
    monkeypatch.setenv("REGISTRY_CREDS", creds)
    for reference in (
        "secret:argocd/field#creds",
        "pullsecret:argocd/pull",
        "env:REGISTRY_CREDS",
        f"ext:{script}",
    ):
        assert newest(scanner(private_registry, secrets, **ca), image, pull_secret=reference) == "1.1.0"
        assert newest(scanner(private_registry, secrets, credentials=reference, **ca), image) == "1.1.0"

    with pytest.raises(RegistryError) as err:
        newest(scanner(private_registry, secrets), image, pull_secret="env:REGISTRY_CREDS")
    assert err.value.reason == RegistryError.UNREACHABLE  # no CA: the TLS handshake fails
    assert newest(scanner(private_registry, secrets, insecure=True), image, pull_secret="env:REGISTRY_CREDS")


def test_failures_are_classified(registry: OciRegistry, pushed: dict[str, str], tmp_path: Path) -> None:
    s = scanner(registry)
    with pytest.raises(RegistryError) as err:
        newest(s, f"{registry.host}/team/missing")
    assert err.value.reason == RegistryError.NOT_FOUND

    pusher = ImagePusher(registry.url)
    config = pusher._blob("team/broken", b"not json")
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": 8},
        "layers": [],
    }
    pusher._manifest(
        "team/broken", "v1", json.dumps(manifest).encode(), "application/vnd.oci.image.manifest.v1+json"
    )
    pusher.close()
    with pytest.raises(RegistryError) as err:
        newest(s, f"{registry.host}/team/broken", update_strategy="newest-build")
    assert err.value.reason == RegistryError.MALFORMED

    down = Registries.parse(
        json.dumps(
            {"registries": [{"name": "down", "prefix": "127.0.0.1:9", "api_url": "http://127.0.0.1:9"}]}
        )
    )
    with pytest.raises(RegistryError) as err:
        Scanner(down, CredentialResolver(lambda ns, n: None)).newest(
            parse_image("127.0.0.1:9/x/y"), UpdateSettings()
        )
    assert err.value.reason == RegistryError.UNREACHABLE


def test_the_cli_test_command_asks_a_real_registry(
    registry: OciRegistry, pushed: dict[str, str], tmp_path: Path
) -> None:
    conf = tmp_path / "registries.conf"
    conf.write_text(
        json.dumps({"registries": [{"name": "local", "prefix": registry.host, "api_url": registry.url}]})
    )
    image = f"{registry.host}/team/app"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        argv = [
            sys.executable,
            "-m",
            "argosy",
            "image-updater",
            "test",
            *args,
            "--registries-conf-path",
            str(conf),
        ]
        return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)

    out = run(image, "--constraint", "~1", "-o", "json")
    assert out.returncode == 0 and json.loads(out.stdout) == {"tag": "v1", "digest": ""}, out.stderr
    out = run(f"{image}:latest", "--strategy", "digest")
    assert out.returncode == 0 and out.stdout.strip() == f"{image}:latest@{pushed['latest']}"
    out = run(f"{registry.host}/team/missing")
    assert out.returncode == 2 and "404" in out.stderr
