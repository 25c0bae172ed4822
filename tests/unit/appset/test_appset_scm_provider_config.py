"""How a generator's provider block becomes a client: which provider, which API root, which
auth header, and the errors that name the field to fix (no HTTP request is made)."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest

from argosy.appset.scm import bitbucket_server, github, gitlab
from argosy.appset.scm.http import HttpScm
from argosy.appset.scm.model import ScmError

SECRETS = {"t": {"data": {"k": base64.b64encode(b"s3cret").decode()}}}
REF = {"secretName": "t", "key": "k"}


def _scm() -> HttpScm:
    return HttpScm(SECRETS.get)


def test_gitlab_defaults_to_gitlab_com_and_sends_a_private_token() -> None:
    client = gitlab.api({"tokenRef": REF}, SECRETS.get, "pullRequest.gitlab")
    assert client.base == "https://gitlab.com/api/v4"
    assert client.client.headers["PRIVATE-TOKEN"] == "s3cret"
    own = gitlab.api({"api": "https://gl.example.com/api/v4/"}, SECRETS.get, "x")
    assert own.base == "https://gl.example.com/api/v4" and "PRIVATE-TOKEN" not in own.client.headers


def test_bitbucket_server_prefers_bearer_and_marks_requests_as_non_browser() -> None:
    provider = {"api": "https://bb.example.com/rest/", "bearerToken": {"tokenRef": REF}, "basicAuth": {}}
    client = bitbucket_server.api(provider, SECRETS.get, "scmProvider.bitbucketServer")
    assert client.base == "https://bb.example.com/rest" and client.paging == "offset"
    assert client.client.headers["Authorization"] == "Bearer s3cret"
    assert client.client.headers["X-Atlassian-Token"] == "no-check"
    basic = bitbucket_server.api(
        {"api": "https://bb.example.com/rest", "basicAuth": {"username": "u", "passwordRef": REF}},
        SECRETS.get,
        "x",
    )
    assert basic.client.headers["Authorization"] == "Basic " + base64.b64encode(b"u:s3cret").decode()


def test_gitea_pages_with_limit_and_github_with_per_page() -> None:
    assert github.api("gitea", {"api": "https://gitea.example.com"}, SECRETS.get, "x").limit_key == "limit"
    assert github.api("github", {}, SECRETS.get, "x").limit_key == "per_page"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"azuredevops": {"organization": "o"}}, "provider azuredevops is not supported yet"),
        ({"bitbucket": {"owner": "o"}}, "supported: github, gitea, gitlab, bitbucketServer"),
        ({"gitlab": {"project": "g/p", "caRef": {"configMapName": "ca"}}}, "pullRequest.gitlab.caRef"),
        ({"gitlab": {"api": "https://gl.example.com"}}, "pullRequest.gitlab.project is required"),
        ({"bitbucketServer": {"project": "P", "repo": "r"}}, "pullRequest.bitbucketServer.api is required"),
        ({"bitbucketServer": {"api": "https://bb/rest", "project": "P"}}, "repo (the repository slug)"),
        ({"gitlab": {"project": "p", "tokenRef": {"secretName": "gone", "key": "k"}}}, "Secret 'gone'"),
    ],
)
def test_pull_request_config_errors_name_the_field(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(ScmError, match=re.escape(message)):
        _scm().pull_requests(spec)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"gitlab": {"api": "https://gl.example.com"}}, "scmProvider.gitlab.group is required"),
        ({"gitlab": {"group": "g"}, "cloneProtocol": "git"}, "unknown cloneProtocol 'git' for GitLab"),
        ({"bitbucketServer": {"api": "https://bb/rest"}}, "scmProvider.bitbucketServer.project is required"),
        (
            {"bitbucketServer": {"api": "https://bb/rest", "project": "P", "bearerToken": {"tokenRef": {}}}},
            "bearerToken.tokenRef must name a Secret",
        ),
        ({"awsCodeCommit": {}}, "provider awsCodeCommit is not supported yet"),
    ],
)
def test_scm_provider_config_errors_name_the_field(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(ScmError, match=re.escape(message)):
        _scm().scm_provider(spec)
