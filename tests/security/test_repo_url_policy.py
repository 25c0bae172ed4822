"""The repository URL policy (SSRF guard) as a pure function: a fake resolver, no network."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from argosy.repo.errors import UrlNotAllowedError
from argosy.repo.execute import without_cluster_access
from argosy.repo.renderers.helm import helm_env
from argosy.repo.renderers.kustomize import check_references
from argosy.repo.urlpolicy import ENV_FILE_ROOTS, ENV_NETWORKS, UrlPolicy, parse_networks

DNS = {
    "github.com": ["140.82.112.3"],
    "git.example.com": ["203.0.113.10"],
    "corp-git.internal": ["10.1.2.3"],
    "localhost": ["127.0.0.1", "::1"],
    "rebind.example.com": ["203.0.113.11", "127.0.0.1"],  # one bad address among good ones
    "metadata.google.internal": ["169.254.169.254"],
    "v6.example.com": ["2001:db8::1", "fe80::1%eth0"],
}


def fake_dns(host: str) -> list[str]:
    if host not in DNS:
        raise OSError(f"no such host {host}")
    return DNS[host]


def policy(networks: str = "", roots: tuple[Path, ...] = ()) -> UrlPolicy:
    return UrlPolicy(parse_networks(networks), roots, resolver=fake_dns)


@pytest.mark.parametrize(
    "url",
    [
        "https://git.example.com/org/repo.git",
        "ssh://git@git.example.com:2222/org/repo.git",
        "git@git.example.com:org/repo.git",
        "git://git.example.com/repo.git",
        "oci://git.example.com/charts",
        "https://corp-git.internal/repo.git",  # private networks stay allowed: corporate Git lives there
        "https://10.0.0.5/repo.git",
        "https://unknown.example.org/repo.git",  # unresolvable: the fetch itself reports it unreachable
    ],
)
def test_public_and_private_hosts_are_fetched_by_default(url: str) -> None:
    policy().check(url)


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("http://127.0.0.1:8080/repo.git", "127.0.0.1 is a loopback address (127.0.0.0/8)"),
        ("http://localhost/repo.git", "host localhost resolves to 127.0.0.1"),
        ("https://[::1]/repo.git", "::1 is a loopback address"),
        ("http://[::ffff:127.0.0.1]/repo.git", "127.0.0.1 is a loopback address"),
        ("http://2130706433/repo.git", "127.0.0.1 is a loopback address"),  # decimal IPv4 spelling
        ("http://0x7f.1/repo.git", "127.0.0.1 is a loopback address"),
        ("http://[fe80::1%25eth0]/repo.git", "fe80::1 is a link-local address"),
        ("git@localhost:org/repo.git", "loopback"),
        ("ssh://git@[::1]:22/repo.git", "loopback"),
        ("http://0.0.0.0:80/repo.git", "unspecified address"),
        ("http://169.254.10.10/repo.git", "link-local address (169.254.0.0/16)"),
        ("https://v6.example.com/repo.git", "fe80::1 is a link-local address"),
        ("https://rebind.example.com/repo.git", "host rebind.example.com resolves to 127.0.0.1"),
    ],
)
def test_loopback_link_local_and_unspecified_are_refused_by_default(url: str, needle: str) -> None:
    with pytest.raises(UrlNotAllowedError) as err:
        policy().check(url, "repository")
    message = str(err.value)
    assert needle in message
    assert "reposerver.allowed.networks" in message and ENV_NETWORKS in message


def test_allowed_networks_lift_the_default_denial_only_for_their_addresses() -> None:
    allowed = policy("127.0.0.0/8, ::1/128")
    allowed.check("http://127.0.0.1:8080/repo.git")
    allowed.check("http://localhost/repo.git")  # both its addresses are allowed
    with pytest.raises(UrlNotAllowedError, match="link-local"):
        allowed.check("http://169.254.10.10/repo.git")


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://100.100.100.200/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/",
    ],
)
def test_cloud_metadata_addresses_are_refused_even_when_every_network_is_allowed(url: str) -> None:
    with pytest.raises(UrlNotAllowedError, match="cloud metadata address"):
        policy("0.0.0.0/0, ::/0, 169.254.169.254/32").check(url)


def test_credentials_in_the_url_do_not_reach_the_error() -> None:
    with pytest.raises(UrlNotAllowedError) as err:
        policy().check("https://user:s3cr3t-token@127.0.0.1/repo.git")
    assert "s3cr3t-token" not in str(err.value)


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("ext::sh -c touch% /tmp/pwned", "remote helpers"),
        ("fd::17", "remote helpers"),
        ("ftp://git.example.com/repo.git", "scheme ftp:// is not allowed"),
        ("gopher://git.example.com/", "scheme gopher:// is not allowed"),
        ("http:///repo.git", "names no host"),
        ("file://git.example.com/srv/repo.git", "file:// URLs name no host"),
        ("repo.git", "absolute path"),
    ],
)
def test_helpers_unknown_schemes_and_malformed_urls_are_refused(url: str, needle: str) -> None:
    with pytest.raises(UrlNotAllowedError, match=needle):
        policy("0.0.0.0/0, ::/0").check(url)


def test_local_repositories_only_under_an_allowed_root(tmp_path: Path) -> None:
    root = tmp_path / "repos"
    (root / "a.git").mkdir(parents=True)
    outside = tmp_path / "elsewhere.git"
    outside.mkdir()
    (root / "escape.git").symlink_to(outside)
    allowed = policy(roots=(root.resolve(),))
    allowed.check(f"file://{root}/a.git")
    allowed.check(f"{root}/a.git")  # a plain path is what git would read, too
    for url in (
        f"file://{outside}",
        str(outside),
        f"file://{root}/../elsewhere.git",
        f"file://{root}/escape.git",
    ):
        with pytest.raises(UrlNotAllowedError, match=r"reposerver\.allowed\.file\.roots"):
            allowed.check(url)
    with pytest.raises(UrlNotAllowedError, match=ENV_FILE_ROOTS):
        policy().check(f"file://{root}/a.git")  # no root configured: every local repository refused


def test_settings_are_parsed_from_the_environment_with_errors_naming_the_setting(tmp_path: Path) -> None:
    parsed = UrlPolicy.from_env({ENV_NETWORKS: "127.0.0.1 ::1/128", ENV_FILE_ROOTS: str(tmp_path)})
    assert [str(n) for n in parsed.allowed_networks] == ["127.0.0.1/32", "::1/128"]
    assert parsed.file_roots == (tmp_path.resolve(),)
    assert UrlPolicy.from_env({}) == UrlPolicy()
    with pytest.raises(ValueError, match=r"reposerver\.allowed\.networks: 'localhost' is not a CIDR"):
        UrlPolicy.from_env({ENV_NETWORKS: "localhost"})
    with pytest.raises(ValueError, match=r"reposerver\.allowed\.file\.roots: 'repos' is not an absolute"):
        UrlPolicy.from_env({ENV_FILE_ROOTS: "repos"})


def test_http_redirects_are_checked_before_they_are_followed() -> None:
    """A repository at an allowed address redirecting to the metadata service: refused, and the
    metadata service never sees the request."""
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(302, headers={"location": "http://169.254.169.254/latest/meta-data/"})

    hook = policy().httpx_hook("Helm repository")
    with (
        httpx.Client(transport=httpx.MockTransport(handler), event_hooks={"request": [hook]}) as client,
        pytest.raises(UrlNotAllowedError, match=r"Helm repository 'http://169\.254\.169\.254/"),
    ):
        client.get("https://git.example.com/index.yaml", follow_redirects=True)
    assert seen == ["https://git.example.com/index.yaml"]


def test_rendering_tools_get_no_way_to_reach_a_cluster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cluster_env = {
        "KUBECONFIG": "/home/me/.kube/config",
        "KUBERNETES_SERVICE_HOST": "10.96.0.1",
        "KUBERNETES_SERVICE_PORT": "443",
        "KUBERNETES_PORT_443_TCP": "tcp://10.96.0.1:443",
        "PATH": "/usr/bin",
    }
    assert without_cluster_access(cluster_env) == {"PATH": "/usr/bin"}
    monkeypatch.setenv("KUBECONFIG", "/home/me/.kube/config")
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
    env = helm_env(tmp_path, {})
    assert not any(k.startswith(("KUBECONFIG", "KUBERNETES_")) for k in env)
    assert env["HOME"] == str(tmp_path)  # no ~/.kube/config to fall back on


def test_kustomize_remote_bases_pass_the_policy_before_kustomize_fetches_them(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "kustomization.yaml").write_text(
        "resources:\n- github.com/org/repo//base?ref=v1\n- git@git.example.com:org/repo//base\n"
    )
    check_references(tmp_path, app, policy=policy())  # public hosts: fine
    (app / "kustomization.yaml").write_text("resources:\n- github.com/org/repo//base?ref=v1\n- overlay\n")
    (app / "overlay").mkdir()
    (app / "overlay" / "kustomization.yaml").write_text("components:\n- https://169.254.169.254/latest//x\n")
    with pytest.raises(UrlNotAllowedError, match=r"app/overlay/kustomization\.yaml: remote base .*metadata"):
        check_references(tmp_path, app, policy=policy())
