"""Pull request and SCM provider generators against a loopback HTTP server that serves the
GitHub and Gitea REST API responses their documentation describes (no real GitHub or Gitea
can run here). The token must arrive as ``Authorization: token <token>``.
"""

from __future__ import annotations

import base64
import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from argosy.appset.generate import generate_applications
from argosy.appset.generators import GenerateContext
from argosy.appset.scm.http import HttpScm
from argosy.appset.validate import KnownCluster

TOKEN = "ghp-test-token"
SHA = "0bc57212c3cbbec69d20b34c507284bd300def5b"
Obj = dict[str, Any]


def _repo(name: str, gitea: bool) -> Obj:
    return {
        "id": 100 + len(name),
        "name": name,
        "owner": {"login": "coffee-org"},
        "clone_url": f"https://git.example.com/coffee-org/{name}.git",
        "ssh_url": f"git@git.example.com:coffee-org/{name}.git",
        "default_branch": "main",
        "topics": ["prod"] if name == "espresso" else [],
    }


def _routes(gitea: bool) -> dict[str, Any]:
    commit = {"id": SHA} if gitea else {"sha": SHA}
    return {
        "/repos/coffee-org/shop/pulls": [
            {
                "number": 7,
                "title": "Add tea",
                "head": {"ref": "feat/Tea_Time", "sha": SHA},
                "base": {"ref": "main"},
                "user": {"login": "alice"},
                "labels": [{"name": "preview"}],
            },
            {
                "number": 8,
                "title": "WIP",
                "head": {"ref": "wip", "sha": SHA},
                "base": {"ref": "main"},
                "user": {"login": "bob"},
                "labels": [],
            },
        ],
        "/orgs/coffee-org/repos": [_repo("espresso", gitea), _repo("latte", gitea)],
        "/repos/coffee-org/espresso/branches/main": {"name": "main", "commit": commit},
        "/repos/coffee-org/latte/branches/main": {"name": "main", "commit": commit},
        "/repos/coffee-org/espresso/contents/deploy": {"type": "dir"},
    }


class _Api(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        url = urllib.parse.urlparse(self.path)
        gitea = url.path.startswith("/api/v1/")
        path = url.path.removeprefix("/api/v1")
        query = urllib.parse.parse_qs(url.query)
        if self.headers.get("Authorization") != f"token {TOKEN}":
            return self._send(401, {"message": "Bad credentials"})
        body = _routes(gitea).get(path)
        if body is None:
            return self._send(404, {"message": "Not Found"})
        if isinstance(body, list) and query.get("page", ["1"])[0] != "1":
            body = []
        self._send(200, body)

    def _send(self, code: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def api_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


SECRETS = {"scm-token": {"data": {"token": base64.b64encode(TOKEN.encode()).decode()}}}
LOCAL = [KnownCluster("in-cluster", "https://kubernetes.default.svc")]


def _generate(generator: Obj, name: str, allowed: list[str] | None = None) -> Any:
    appset = {
        "metadata": {"name": "scm", "namespace": "argocd"},
        "spec": {
            "generators": [generator],
            "template": {
                "metadata": {"name": name},
                "spec": {
                    "project": "default",
                    "source": {"repoURL": "https://git.example.com/x.git", "path": "p"},
                    "destination": {"server": "https://kubernetes.default.svc", "namespace": "scm"},
                },
            },
        },
    }
    ctx = GenerateContext(scm=HttpScm(SECRETS.get), allowed_scm_providers=allowed or [])
    return generate_applications(appset, ctx, LOCAL, None)


def _token_ref() -> Obj:
    return {"secretName": "scm-token", "key": "token"}


def test_github_pull_requests_with_label_filter_become_apps(api_url: str) -> None:
    github = {
        "owner": "coffee-org",
        "repo": "shop",
        "api": api_url,
        "tokenRef": _token_ref(),
        "labels": ["preview"],
    }
    result = _generate(
        {"pullRequest": {"github": github}}, "pr-{{number}}-{{branch_slug}}-{{head_short_sha}}"
    )
    assert result.errors == []
    assert [a["metadata"]["name"] for a in result.applications] == ["pr-7-feat-tea-time-0bc57212"]


def test_gitea_organisation_repositories_filtered_by_path(api_url: str) -> None:
    gitea = {"owner": "coffee-org", "api": api_url, "tokenRef": _token_ref()}
    generator = {
        "scmProvider": {"gitea": gitea, "cloneProtocol": "https", "filters": [{"pathsExist": ["deploy"]}]}
    }
    result = _generate(generator, "{{repository}}-{{branchNormalized}}-{{short_sha_7}}")
    assert result.errors == []
    assert [a["metadata"]["name"] for a in result.applications] == ["espresso-main-0bc5721"]


def test_missing_repository_and_disallowed_api_are_errors_naming_them(api_url: str) -> None:
    github = {"owner": "coffee-org", "repo": "gone", "api": api_url, "tokenRef": _token_ref()}
    missing = _generate({"pullRequest": {"github": github}}, "pr-{{number}}")
    assert missing.failed_generators == [0] and "not found" in missing.errors[0]
    tolerated = _generate(
        {"pullRequest": {"github": github, "continueOnRepoNotFoundError": True}}, "pr-{{number}}"
    )
    assert tolerated.errors == [] and tolerated.applications == []
    refused = _generate(
        {"pullRequest": {"github": github}}, "pr-{{number}}", allowed=["https://github.example.com"]
    )
    assert api_url in refused.errors[0] and TOKEN not in refused.errors[0]
