"""Webhook authentication and parsing against hostile requests, without a server.

* Every provider's check is decided by ``hmac.compare_digest`` alone: made to
  answer "equal", a wrong signature passes; made to answer "different", the
  right one fails. So no provider compares secrets with ``==`` (whose time
  leaks how many leading bytes match) on any path.
* Malformed bodies (not JSON, not an object, wrong types, nested too deep,
  invalid UTF-8) are a 400 with a message, never an exception.
"""

from __future__ import annotations

import base64
import hmac
import json
from collections.abc import Callable
from typing import Any

import pytest

from argosy.server.webhook import WebhookSecrets, handle_webhook, hmac_hex

SECRET = "wh-s3cret"
BODY = json.dumps({"ref": "refs/heads/main", "repository": {"html_url": "https://git.example/a/b"}}).encode()
SECRETS = WebhookSecrets(
    github=SECRET.encode(),
    gitlab=SECRET.encode(),
    gogs=SECRET.encode(),
    bitbucket_uuid=SECRET.encode(),
    bitbucketserver=SECRET.encode(),
    azuredevops_username=b"hook",
    azuredevops_password=SECRET.encode(),
)


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


#: provider -> headers for a given secret (the right one or a wrong one).
REQUESTS: dict[str, Callable[[str], dict[str, str]]] = {
    "github sha256": lambda s: {
        "X-GitHub-Event": "push",
        "X-Hub-Signature-256": f"sha256={hmac_hex(s, BODY)}",
    },
    "github sha1": lambda s: {
        "X-GitHub-Event": "push",
        "X-Hub-Signature": f"sha1={hmac_hex(s, BODY, 'sha1')}",
    },
    "gitlab": lambda s: {"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": s},
    "gogs": lambda s: {"X-Gogs-Event": "push", "X-Gogs-Signature": hmac_hex(s, BODY)},
    "gitea": lambda s: {"X-Gitea-Event": "push", "X-Gitea-Signature": hmac_hex(s, BODY)},
    "bitbucket": lambda s: {"X-Event-Key": "repo:push", "X-Hook-UUID": s},
    "bitbucket server": lambda s: {
        "X-Event-Key": "repo:refs_changed",
        "X-Hub-Signature": f"sha256={hmac_hex(s, BODY)}",
    },
    "azure devops": lambda s: {"X-Vss-ActivityId": "1", "Authorization": _basic("hook", s)},
}


@pytest.mark.parametrize("provider", REQUESTS)
def test_the_right_secret_passes_and_a_wrong_one_is_401(provider: str) -> None:
    assert handle_webhook(REQUESTS[provider](SECRET), BODY, SECRETS).status == 200
    assert handle_webhook(REQUESTS[provider]("wh-s3creT"), BODY, SECRETS).status == 401


@pytest.mark.parametrize("provider", REQUESTS)
def test_compare_digest_alone_decides(provider: str, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Any, Any]] = []

    def always(answer: bool) -> Callable[[Any, Any], bool]:
        def compare(a: Any, b: Any) -> bool:
            calls.append((a, b))
            return answer

        return compare

    monkeypatch.setattr(hmac, "compare_digest", always(True))
    assert handle_webhook(REQUESTS[provider]("wrong-secret"), BODY, SECRETS).status == 200
    monkeypatch.setattr(hmac, "compare_digest", always(False))
    assert handle_webhook(REQUESTS[provider](SECRET), BODY, SECRETS).status == 401
    assert calls, f"{provider}: the secret was checked without hmac.compare_digest"


MALFORMED: dict[str, bytes] = {
    "not JSON": b"{not json",
    "invalid UTF-8": b'{"ref": "\xff\xfe"}',
    "a JSON array": b"[1, 2, 3]",
    "a JSON string": b'"push"',
    "null": b"null",
    "empty": b"",
    "nested 100,000 deep": b"[" * 100_000 + b"]" * 100_000,
    "an object nested 100,000 deep": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
}
#: Well-formed JSON of the wrong shapes: accepted, and nothing to refresh comes out of it.
WRONG_TYPES: dict[str, bytes] = {
    "ref is a number": b'{"ref": 123, "repository": {"html_url": 5}}',
    "commits is a string": b'{"ref": "refs/heads/main", "commits": "x", "repository": []}',
    "changes of the wrong type": b'{"push": {"changes": "x"}, "repository": {"links": 1}, "changes": {}}',
}


@pytest.mark.parametrize("provider", REQUESTS)
@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_bodies_are_400_with_a_message(provider: str, name: str) -> None:
    body = MALFORMED[name]
    headers = dict(REQUESTS[provider](SECRET))
    # Sign the body actually sent (the HMAC providers), so the parser is what is under test.
    for key, value in list(headers.items()):
        if key in ("X-Hub-Signature-256", "X-Gogs-Signature", "X-Gitea-Signature") or (
            key == "X-Hub-Signature" and value.startswith("sha256=")
        ):
            prefix = value.split("=")[0] + "=" if "=" in value else ""
            headers[key] = prefix + hmac_hex(SECRET, body)
        elif key == "X-Hub-Signature":
            headers[key] = "sha1=" + hmac_hex(SECRET, body, "sha1")
    result = handle_webhook(headers, body, SECRETS)
    assert result.status == 400, (result.status, result.message)
    assert result.message and result.event is None


@pytest.mark.parametrize("provider", ["gitlab", "bitbucket", "azure devops"])
@pytest.mark.parametrize("name", WRONG_TYPES)
def test_wrong_shapes_are_read_without_crashing(provider: str, name: str) -> None:
    result = handle_webhook(REQUESTS[provider](SECRET), WRONG_TYPES[name], SECRETS)
    assert result.status == 200, result.message
