"""Every case of ../shared/peer-data/webhook: URL matchers, signatures, and every payload file.

Loaded at test time, never copied. Signature cases run twice: through the
provider's verifier and through :func:`handle_webhook` (401 exactly when the
signature is wrong). Payload files from Argo CD's testdata are parsed with
the headers their provider sends; the expected repository, revision and
default-branch flag are the ones Argo CD's own webhook tests assert.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from argosy.server.webhook import (
    IgnoredEvent,
    PushEvent,
    URLError,
    WebhookSecrets,
    api_url_regex,
    handle_webhook,
    hmac_hex,
    verify,
    web_url_regex,
)
from argosy.server.webhook.signature import lower_headers
from support.peer_data import peer_data_dir

# Where conftest.peer_data_dir looks; read here only to parametrise at collection time
# (the tests themselves go through the peer_data_dir fixture, which skips when it is absent).
WEBHOOK_DIR = Path(__file__).resolve().parents[4] / "shared" / "peer-data" / "webhook"


def _cases() -> list[dict[str, Any]]:
    path = WEBHOOK_DIR / "cases.yaml"
    if not path.is_file():
        return []
    return list(yaml.safe_load(path.read_text(encoding="utf-8"))["cases"])


CASES = _cases()
URL_CASES = [c for c in CASES if c["kind"] in ("web_url_regex", "api_url_regex")]
SIGNATURE_CASES = [c for c in CASES if c["kind"] == "signature"]


def _ids(cases: list[dict[str, Any]]) -> list[str]:
    return [f"{i:03d}-{c['kind']}-{c.get('note', '')}"[:110] for i, c in enumerate(cases)]


@pytest.fixture(scope="module")
def webhook_dir() -> Path:
    return peer_data_dir("webhook")


def test_peer_data_has_cases(webhook_dir: Path) -> None:
    assert URL_CASES and SIGNATURE_CASES


@pytest.mark.parametrize("case", URL_CASES, ids=_ids(URL_CASES))
def test_url_regex(case: dict[str, Any], webhook_dir: Path) -> None:
    build = web_url_regex if case["kind"] == "web_url_regex" else api_url_regex
    url = case["web_url"] if case["kind"] == "web_url_regex" else case["api_url"]
    if case.get("error"):
        with pytest.raises(URLError):
            build(url)
        return
    assert (build(url).search(case["repo_url"]) is not None) is case["should_match"], case.get("note")


def _provider_for(header: str, value: str) -> tuple[str, dict[str, str]]:
    """Which provider sends this signature header, and the event headers that go with it."""
    h = header.lower()
    if h == "x-hub-signature-256" or (h == "x-hub-signature" and value.startswith("sha1=")):
        return "github", {"X-GitHub-Event": "push"}
    if h == "x-hub-signature":
        return "bitbucketserver", {"X-Event-Key": "repo:refs_changed"}
    if h == "x-gitlab-token":
        return "gitlab", {"X-Gitlab-Event": "Push Hook"}
    if h in ("x-gogs-signature", "x-gitea-signature"):
        return "gogs", {"X-Gogs-Event": "push"}
    raise AssertionError(f"no provider known for signature header {header}")


def _body(case: dict[str, Any], base: Path) -> bytes:
    if "payload_text" in case:
        return str(case["payload_text"]).encode("utf-8")
    return (base / case["payload"]).read_bytes()


def _secrets(provider: str, secret: str) -> WebhookSecrets:
    # the provider names are the WebhookSecrets field names
    return WebhookSecrets(**{provider: secret.encode("utf-8")})


@pytest.mark.parametrize("case", SIGNATURE_CASES, ids=_ids(SIGNATURE_CASES))
def test_signature(case: dict[str, Any], webhook_dir: Path) -> None:
    provider, event_headers = _provider_for(case["header"], case["value"])
    body = _body(case, webhook_dir)
    secrets = _secrets(provider, case["secret"])
    headers = {case["header"]: case["value"]}
    try:
        verify(provider, lower_headers(headers), body, secrets)
        accepted = True
    except Exception:
        accepted = False
    assert accepted is case["valid"], case.get("note")
    result = handle_webhook({**event_headers, **headers}, body, secrets)
    assert (result.status != 401) is case["valid"], result.message
    if not case["valid"]:
        assert result.event is None


# Argo CD util/webhook/webhook_test.go: repository, revision and default-branch flag per payload.
PAYLOADS: dict[str, tuple[dict[str, str], type, tuple[str, ...], str, bool]] = {
    "github-commit-event.json": (
        {"X-GitHub-Event": "push"},
        PushEvent,
        ("https://github.com/jessesuen/test-repo",),
        "master",
        True,
    ),
    "github-tag-event.json": (
        {"X-GitHub-Event": "push"},
        PushEvent,
        ("https://github.com/jessesuen/test-repo",),
        "v1.0",
        False,
    ),
    "github-ping-event.json": ({"X-GitHub-Event": "ping"}, IgnoredEvent, (), "", False),
    "gitlab-event.json": (
        {"X-Gitlab-Event": "Push Hook"},
        PushEvent,
        ("https://gitlab.com/group/name",),
        "master",
        True,
    ),
    "gogs-event.json": (
        {"X-Gogs-Event": "push"},
        PushEvent,
        ("http://gogs-server/john/repo-test",),
        "master",
        True,
    ),
    "bitbucket-server-event.json": (
        {"X-Event-Key": "repo:refs_changed"},
        PushEvent,
        (
            "ssh://git@bitbucketserver:7999/myproject/test-repo.git",
            "https://bitbucketserver/scm/myproject/test-repo.git",
        ),
        "master",
        True,
    ),
    "azuredevops-git-push-event.json": (
        {"X-Vss-ActivityId": "abc"},
        PushEvent,
        ("https://dev.azure.com/alexander0053/alex-test/_git/alex-test",),
        "master",
        True,
    ),
    "ghcr-package-event.json": ({"X-GitHub-Event": "registry_package"}, IgnoredEvent, (), "", False),
}

ALL_HEADERS = [
    {"X-GitHub-Event": "push"},
    {"X-Gitlab-Event": "Push Hook"},
    {"X-Gogs-Event": "push"},
    {"X-Gitea-Event": "push"},
    {"X-Hook-UUID": "u", "X-Event-Key": "repo:push"},
    {"X-Event-Key": "repo:refs_changed"},
    {"X-Vss-ActivityId": "a"},
]


def _payload_files() -> list[str]:
    folder = WEBHOOK_DIR / "payloads"
    return sorted(p.name for p in folder.glob("*.json")) if folder.is_dir() else []


@pytest.mark.parametrize("name", _payload_files())
def test_every_payload_parses_under_every_provider_without_crashing(name: str, webhook_dir: Path) -> None:
    body = (webhook_dir / "payloads" / name).read_bytes()
    json.loads(body)
    for headers in ALL_HEADERS:
        result = handle_webhook(headers, body, WebhookSecrets())
        assert result.status in (200, 400), (headers, result)


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_payload_event(name: str, webhook_dir: Path) -> None:
    path = webhook_dir / "payloads" / name
    if not path.is_file():
        pytest.skip(f"{name} not in peer data")
    headers, kind, urls, revision, touched_head = PAYLOADS[name]
    result = handle_webhook(headers, path.read_bytes(), WebhookSecrets())
    assert result.status == 200, result.message
    assert isinstance(result.event, kind)
    if isinstance(result.event, PushEvent):
        assert result.event.web_urls == urls
        assert result.event.revision == revision
        assert result.event.touched_head is touched_head


def test_tampered_payloads_are_refused_with_the_original_signature(webhook_dir: Path) -> None:
    secret = 's3cr3t!#$%&\'()*+,-./:;<=>?@[]^_{|}~ "quoted" é'
    secrets = WebhookSecrets(github=secret.encode("utf-8"))
    for tampered in sorted((webhook_dir / "payloads" / "tampered").glob("*.json")):
        original = webhook_dir / "payloads" / tampered.name.replace("-tampered", "")
        signature = "sha256=" + hmac_hex(secret, original.read_bytes())
        headers = {"X-GitHub-Event": "push", "X-Hub-Signature-256": signature}
        assert handle_webhook(headers, original.read_bytes(), secrets).status == 200
        assert handle_webhook(headers, tampered.read_bytes(), secrets).status == 401
