"""The SSRF guard on real components: ``argosy repo-server`` processes, a controller writing
the condition, and Helm's ``lookup`` against a live cluster it must not see."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from argosy.repo import HttpRepoClient, RenderRequest, RepoService
from argosy.repo.errors import UrlNotAllowedError
from argosy.repo.tools import find
from argosy.repo.urlpolicy import ENV_FILE_ROOTS, ENV_NETWORKS, UrlPolicy
from support.cluster import ClusterHandle
from support.controller import RunningController
from support.git_server import GitHttpServer
from support.naming import unique
from support.secrets import application

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"
METADATA_REPO = "http://169.254.169.254/latest/meta-data/repo.git"


@contextmanager
def repo_server_process(cache: Path, *flags: str) -> Iterator[HttpRepoClient]:
    """``argosy repo-server`` as its own process, with none of the suite's allowances in its
    environment: only ``flags`` decide what it may fetch."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k not in (ENV_NETWORKS, ENV_FILE_ROOTS)}
    argv = [sys.executable, "-m", "argosy", "repo-server", "--port", str(port), "--metrics-port", "0"]
    proc = subprocess.Popen(
        [*argv, "--cache-dir", str(cache), *flags],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(
                    f"repo server did not start: {proc.stderr.read() if proc.stderr else ''}"
                )
            time.sleep(0.1)
        client = HttpRepoClient(url)
        yield client
        client.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _render(client: HttpRepoClient | RepoService, repo_url: str) -> Any:
    app = application({"repoURL": repo_url, "path": "app", "targetRevision": "main"})
    return client.render(RenderRequest.from_application(app))


def _refused_condition(url: str) -> Any:
    def check(app: dict[str, Any]) -> bool:
        conditions = (app.get("status") or {}).get("conditions") or []
        return any(c["type"] == "ComparisonError" and url in c["message"] for c in conditions)

    return check


def test_repo_server_refuses_loopback_metadata_and_local_repositories_by_default(
    cluster: ClusterHandle, git_server: GitHttpServer, tmp_path: Path
) -> None:
    name = unique("ssrf")
    repo = git_server.create_repo(name)
    repo.commit({"app/cm.yaml": CM.format(name=name)})
    url = git_server.url(name)
    with repo_server_process(tmp_path / "rs") as client:
        with pytest.raises(UrlNotAllowedError) as loopback:
            _render(client, url)
        assert url in str(loopback.value) and "127.0.0.1 is a loopback address" in str(loopback.value)
        with pytest.raises(UrlNotAllowedError, match=r"169\.254\.169\.254 is a cloud metadata address"):
            _render(client, METADATA_REPO)
        with pytest.raises(UrlNotAllowedError, match=r"reposerver\.allowed\.file\.roots"):
            _render(client, f"file://{repo.bare}")
        # The controller in front of that repo server: the refusal becomes the app's condition.
        ctl = RunningController(cluster, tmp_path / "cache")
        ctl.repo = client  # type: ignore[assignment]
        try:
            ctl.start()
            ctl.apply_app(
                name,
                {
                    "project": "default",
                    "source": {"repoURL": url, "path": "app", "targetRevision": "main"},
                    "destination": {"server": "https://kubernetes.default.svc", "namespace": "default"},
                    "syncPolicy": {"automated": {"prune": True}},
                },
            )
            app = ctl.wait_app(name, _refused_condition(url), "a ComparisonError naming the repository", 120)
        finally:
            ctl.stop()
    message = next(c["message"] for c in app["status"]["conditions"] if c["type"] == "ComparisonError")
    assert "127.0.0.1 is a loopback address" in message and "reposerver.allowed.networks" in message
    got = cluster.kubectl("get", "configmap", name, "-n", "default", check=False)
    assert got.returncode != 0, "nothing may be applied from a refused repository"
    # Nothing was fetched: the refused repository never reached the working-copy cache.
    assert not any((tmp_path / "rs" / "git").glob("*/.git"))


def test_allowed_networks_let_loopback_through_but_never_metadata(
    git_server: GitHttpServer, tmp_path: Path
) -> None:
    name = unique("ssrf-ok")
    repo = git_server.create_repo(name)
    sha = repo.commit({"app/cm.yaml": CM.format(name="allowed")})
    # What ``--allowed-networks``/``--allowed-file-roots`` (or their environment variables) build.
    policy = UrlPolicy.from_settings("127.0.0.0/8,169.254.0.0/16", str(repo.bare.parent))
    service = RepoService(tmp_path / "rs", url_policy=policy)
    assert _render(service, git_server.url(name)).revision == sha
    assert _render(service, f"file://{repo.bare}").revision == sha
    with pytest.raises(UrlNotAllowedError, match="cloud metadata address"):
        _render(service, METADATA_REPO)


LOOKUP_CHART = {
    "chart/Chart.yaml": "apiVersion: v2\nname: peek\nversion: 0.1.0\n",
    "chart/templates/cm.yaml": (
        '{{- $ns := lookup "v1" "Namespace" "" "kube-system" }}\n'
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: peek\n"
        'data:\n  seen: {{ if $ns }}{{ $ns.metadata.uid | quote }}{{ else }}"nothing"{{ end }}\n'
    ),
}


def test_helm_lookup_sees_no_cluster_even_with_a_kubeconfig_in_the_environment(
    cluster: ClusterHandle,
    git_server: GitHttpServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    name = unique("lookup")
    repo = git_server.create_repo(name)
    repo.commit(LOOKUP_CHART)
    # The control: the same chart, given cluster access, does see the namespace - so "nothing"
    # below means the render had no cluster, not that the chart cannot look.
    control = subprocess.run(
        [find("helm"), "template", ".", "--dry-run=server", "--kubeconfig", str(cluster.kubeconfig)],
        cwd=repo.work / "chart",
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert 'seen: "nothing"' not in control.stdout and "seen: " in control.stdout
    # An in-process repo service beside a controller: the process has every way to the cluster.
    monkeypatch.setenv("KUBECONFIG", str(cluster.kubeconfig))
    service = RepoService(tmp_path / "rs")
    app = application({"repoURL": git_server.url(name), "path": "chart", "targetRevision": "main"})
    rendered = service.render(RenderRequest.from_application(app)).manifests()
    assert rendered[0]["data"] == {"seen": "nothing"}
