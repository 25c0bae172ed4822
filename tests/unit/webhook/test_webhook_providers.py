"""Each provider's authentication and the refresh decision, as a user configures them."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from argosy.server.webhook import (
    PushEvent,
    WebhookSecrets,
    apps_to_refresh,
    handle_webhook,
    hmac_hex,
    normalize_repo_url,
    revision_matches,
)

SECRET = "pa ss:wörd \"'\\,;#%&=+ ✓"
GITHUB_PUSH = json.dumps(
    {
        "ref": "refs/heads/main",
        "before": "a" * 40,
        "after": "b" * 40,
        "repository": {"html_url": "https://github.com/org/repo", "default_branch": "main"},
        "commits": [{"added": ["apps/web/deploy.yaml"], "modified": [], "removed": []}],
    }
).encode()


def github_headers(body: bytes, secret: str = SECRET, event: str = "push") -> dict[str, str]:
    return {"X-GitHub-Event": event, "X-Hub-Signature-256": "sha256=" + hmac_hex(secret, body)}


def test_github_sha256_with_any_secret() -> None:
    secrets = WebhookSecrets(github=SECRET.encode())
    result = handle_webhook(github_headers(GITHUB_PUSH), GITHUB_PUSH, secrets)
    assert result.status == 200 and isinstance(result.event, PushEvent)
    assert result.event.revision == "main" and result.event.touched_head
    assert result.event.changed_files == ("apps/web/deploy.yaml",)
    assert handle_webhook(github_headers(GITHUB_PUSH, "other"), GITHUB_PUSH, secrets).status == 401
    assert handle_webhook({"X-GitHub-Event": "push"}, GITHUB_PUSH, secrets).status == 401
    assert handle_webhook(github_headers(GITHUB_PUSH + b"\n"), GITHUB_PUSH, secrets).status == 401


def test_github_legacy_sha1_only_when_sha256_absent() -> None:
    secrets = WebhookSecrets(github=SECRET.encode())
    legacy = {"X-GitHub-Event": "push", "X-Hub-Signature": "sha1=" + hmac_hex(SECRET, GITHUB_PUSH, "sha1")}
    assert handle_webhook(legacy, GITHUB_PUSH, secrets).status == 200
    both = {**legacy, "X-Hub-Signature-256": "sha256=" + "0" * 64}
    assert handle_webhook(both, GITHUB_PUSH, secrets).status == 401


def test_no_secret_configured_accepts_unsigned() -> None:
    assert handle_webhook({"X-GitHub-Event": "push"}, GITHUB_PUSH, WebhookSecrets()).status == 200


def test_github_ping_is_authenticated_and_ignored() -> None:
    body = b'{"zen": "hi", "repository": {"html_url": "https://github.com/org/repo"}}'
    secrets = WebhookSecrets(github=SECRET.encode())
    ok = handle_webhook(github_headers(body, event="ping"), body, secrets)
    assert ok.status == 200 and not isinstance(ok.event, PushEvent)
    assert handle_webhook({"X-GitHub-Event": "ping"}, body, secrets).status == 401


def test_gitlab_token() -> None:
    body = json.dumps(
        {
            "object_kind": "push",
            "ref": "refs/heads/dev",
            "project": {"web_url": "https://gitlab.com/g/p", "default_branch": "main"},
        }
    ).encode()
    secrets = WebhookSecrets(gitlab=SECRET.encode())
    ok = handle_webhook({"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": SECRET}, body, secrets)
    assert ok.status == 200 and isinstance(ok.event, PushEvent)
    assert ok.event.revision == "dev" and not ok.event.touched_head
    assert handle_webhook({"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": "x"}, body, secrets).status == 401


@pytest.mark.parametrize(
    ("event", "signature"), [("X-Gogs-Event", "X-Gogs-Signature"), ("X-Gitea-Event", "X-Gitea-Signature")]
)
def test_gogs_and_gitea(event: str, signature: str) -> None:
    body = json.dumps(
        {"ref": "refs/heads/main", "repository": {"html_url": "http://gitea/o/r", "default_branch": "main"}}
    ).encode()
    secrets = WebhookSecrets(gogs=SECRET.encode())
    assert handle_webhook({event: "push", signature: hmac_hex(SECRET, body)}, body, secrets).status == 200
    assert handle_webhook({event: "push", signature: hmac_hex("nope", body)}, body, secrets).status == 401
    assert handle_webhook({event: "push"}, body, secrets).status == 401


def test_bitbucket_cloud_uuid() -> None:
    body = json.dumps(
        {
            "repository": {"links": {"html": {"href": "https://bitbucket.org/ws/repo"}}},
            "push": {
                "changes": [
                    {"new": {"name": "main", "target": {"hash": "b"}}, "old": {"target": {"hash": "a"}}}
                ]
            },
        }
    ).encode()
    secrets = WebhookSecrets(bitbucket_uuid=b"{1234}")
    ok = handle_webhook({"X-Hook-UUID": "{1234}", "X-Event-Key": "repo:push"}, body, secrets)
    assert ok.status == 200 and isinstance(ok.event, PushEvent) and ok.event.revision == "main"
    assert handle_webhook({"X-Hook-UUID": "{9999}", "X-Event-Key": "repo:push"}, body, secrets).status == 401


def test_bitbucket_server_sha256() -> None:
    body = b'{"changes": [{"ref": {"id": "refs/heads/main"}}], "repository": {"links": {"clone": []}}}'
    secrets = WebhookSecrets(bitbucketserver=SECRET.encode())
    signed = {"X-Event-Key": "repo:refs_changed", "X-Hub-Signature": "sha256=" + hmac_hex(SECRET, body)}
    assert handle_webhook(signed, body, secrets).status == 200
    sha1 = {"X-Event-Key": "repo:refs_changed", "X-Hub-Signature": "sha1=" + hmac_hex(SECRET, body, "sha1")}
    assert handle_webhook(sha1, body, secrets).status == 401


def test_azure_devops_basic_auth() -> None:
    body = json.dumps(
        {"eventType": "git.push", "resource": {"refUpdates": [{"name": "refs/heads/main"}], "repository": {}}}
    ).encode()
    secrets = WebhookSecrets(azuredevops_username=b"hook", azuredevops_password=SECRET.encode())
    good = "Basic " + base64.b64encode(b"hook:" + SECRET.encode()).decode()
    assert handle_webhook({"X-Vss-ActivityId": "1", "Authorization": good}, body, secrets).status == 200
    bad = "Basic " + base64.b64encode(b"hook:wrong").decode()
    assert handle_webhook({"X-Vss-ActivityId": "1", "Authorization": bad}, body, secrets).status == 401


def test_bad_requests_never_crash() -> None:
    assert handle_webhook({}, b"{}", WebhookSecrets()).status == 400
    assert handle_webhook({"X-GitHub-Event": "push"}, b"not json", WebhookSecrets()).status == 400
    assert handle_webhook({"X-GitHub-Event": "push"}, b"[1, 2]", WebhookSecrets()).status == 400
    assert handle_webhook({"X-GitHub-Event": "push"}, b"\xff\xfe", WebhookSecrets()).status == 400
    weird = b'{"ref": 5, "repository": "x", "commits": "no"}'
    assert handle_webhook({"X-GitHub-Event": "push"}, weird, WebhookSecrets()).status == 200
    big = b"{" + b" " * 100 + b"}"
    assert (
        handle_webhook({"X-GitHub-Event": "push"}, big, WebhookSecrets(), max_payload_bytes=50).status == 413
    )


def test_secrets_from_argocd_secret_data() -> None:
    data = {"webhook.github.secret": base64.b64encode(SECRET.encode()).decode()}
    assert WebhookSecrets.from_secret_data(data).github == SECRET.encode()
    assert WebhookSecrets.from_secret_data(
        {"webhook.gitlab.secret": SECRET}, base64_encoded=False
    ).gitlab == (SECRET.encode())
    with pytest.raises(ValueError, match=r"webhook\.github\.secret"):
        WebhookSecrets.from_secret_data({"webhook.github.secret": "not base64!"})


@pytest.mark.parametrize(
    ("target", "revision", "touched_head", "expected"),
    [
        ("HEAD", "main", True, True),
        ("", "main", True, True),
        ("HEAD", "dev", False, False),
        ("main", "main", False, True),
        ("refs/heads/main", "main", False, True),
        ("refs/heads/feature/x", "feature/x", False, True),
        ("feature/x", "feature/x", False, True),
        ("v1.0", "v1.0", False, True),
        ("refs/tags/v1.0", "v1.0", False, True),
        ("main", "dev", True, False),
    ],
)
def test_revision_matches(target: str, revision: str, touched_head: bool, expected: bool) -> None:
    assert revision_matches(target, revision, touched_head) is expected


def app(
    name: str, repo: str, rev: str = "HEAD", annotations: dict[str, str] | None = None, path: str = ""
) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "annotations": annotations or {}},
        "spec": {"source": {"repoURL": repo, "targetRevision": rev, "path": path}},
    }


def test_apps_to_refresh() -> None:
    event = PushEvent(
        provider="github",
        web_urls=("https://github.com/org/repo",),
        revision="main",
        touched_head=True,
        changed_files=("apps/web/deploy.yaml",),
    )
    apps = [
        app("ssh", "git@github.com:org/repo.git"),
        app("https-case", "HTTPS://GitHub.com/Org/Repo"),
        app("branch", "https://github.com/org/repo.git", "main"),
        app("other-branch", "https://github.com/org/repo.git", "dev"),
        app("other-repo", "https://github.com/org/repo-2"),
        app(
            "filtered-in",
            "https://github.com/org/repo",
            annotations={"argocd.argoproj.io/manifest-generate-paths": "."},
            path="apps/web",
        ),
        app(
            "filtered-out",
            "https://github.com/org/repo",
            annotations={"argocd.argoproj.io/manifest-generate-paths": "."},
            path="apps/api",
        ),
        app(
            "absolute-path",
            "https://github.com/org/repo",
            annotations={"argocd.argoproj.io/manifest-generate-paths": "/apps"},
            path="x",
        ),
        {
            "metadata": {"name": "multi"},
            "spec": {
                "sources": [
                    {"repoURL": "https://charts.example.com", "targetRevision": "1.0.0", "chart": "x"},
                    {"repoURL": "https://github.com/org/repo", "targetRevision": "main", "ref": "values"},
                ]
            },
        },
        {"metadata": {"name": "broken"}, "spec": "nonsense"},
        "not an app",
    ]
    assert apps_to_refresh(event, apps) == [  # type: ignore[arg-type]
        "ssh",
        "https-case",
        "branch",
        "filtered-in",
        "absolute-path",
        "multi",
    ]


def test_normalize_repo_url() -> None:
    for url in (
        "https://github.com/org/repo",
        "git@github.com:org/repo.git",
        "ssh://git@ssh.github.com:443/org/repo.git",
        "https://user@GitHub.com/org/repo/",
    ):
        assert normalize_repo_url(url) == "github.com/org/repo", url
