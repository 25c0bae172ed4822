"""Helm charts from an OCI registry (docker-registry on loopback), pulled with the real helm."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from argosy.repo import RenderResult
from argosy.repo.errors import HelmRepoError
from support.helm_repo import make_chart
from support.naming import HELM_USER
from support.oci_registry import OciRegistry
from support.secrets import application, repo_secret

Render = Callable[..., RenderResult]
TEMPLATE = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: oci-{{ .Chart.Version }}\n"


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OciRegistry]:
    if not OciRegistry.available():
        pytest.skip("docker-registry not installed (apt-get install -y docker-registry)")
    with OciRegistry(tmp_path_factory.mktemp("oci"), auth=HELM_USER) as reg:
        yield reg


@pytest.fixture(scope="module")
def oci_url(registry: OciRegistry, tmp_path_factory: pytest.TempPathFactory) -> str:
    src = tmp_path_factory.mktemp("oci-src")
    url = ""
    for version in ("1.0.0", "1.1.0", "2.0.0"):
        url = registry.push_chart(make_chart(src / version, "ocichart", version, {"cm.yaml": TEMPLATE}))
    return url


def _secret(url: str) -> dict[str, object]:
    return repo_secret(
        url=url.removeprefix("oci://"),
        type="helm",
        enableOCI="true",
        insecureOCIForceHttp="true",
        username=HELM_USER[0],
        password=HELM_USER[1],
    )


@pytest.mark.parametrize(
    ("revision", "expected"), [("1.0.0", "1.0.0"), ("1.*", "1.1.0"), (">=1.0 <3", "2.0.0")]
)
def test_oci_chart_versions(oci_url: str, render: Render, revision: str, expected: str) -> None:
    app = application(
        {"repoURL": oci_url.removeprefix("oci://"), "chart": "ocichart", "targetRevision": revision}
    )
    result = render(app, [_secret(oci_url)])
    assert result.revision == expected
    assert result.manifests()[0]["metadata"]["name"] == f"oci-{expected}"


def test_oci_needs_credentials(oci_url: str, render: Render) -> None:
    secret = _secret(oci_url)
    secret["data"].pop("password")  # type: ignore[attr-defined]
    app = application(
        {"repoURL": oci_url.removeprefix("oci://"), "chart": "ocichart", "targetRevision": "1.*"}
    )
    with pytest.raises(HelmRepoError, match="401"):
        render(app, [secret])


def test_oci_password_not_in_arguments_or_errors(oci_url: str, tmp_path: Path, render: Render) -> None:
    secret = _secret(oci_url)
    from base64 import b64encode

    secret["data"]["password"] = b64encode(b"wrong-oci-password").decode()  # type: ignore[index]
    app = application(
        {"repoURL": oci_url.removeprefix("oci://"), "chart": "ocichart", "targetRevision": "1.0.0"}
    )
    with pytest.raises(HelmRepoError) as info:
        render(app, [secret])
    assert "wrong-oci-password" not in str(info.value)


def test_oci_scheme_in_repo_url(oci_url: str, render: Render) -> None:
    secret = _secret(oci_url)
    secret["data"]["url"] = __import__("base64").b64encode(oci_url.encode()).decode()  # type: ignore[index]
    app = application({"repoURL": oci_url, "chart": "ocichart", "targetRevision": "~1.0"})
    assert render(app, [secret]).revision == "1.0.0"
