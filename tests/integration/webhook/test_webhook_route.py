"""``POST /api/webhook`` on a running server: Argo CD's payloads, signatures, limits and metrics.

No controller runs here, so a refresh annotation set by the webhook stays
put and can be asserted exactly (the live tests check it is consumed).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families
from webhook_support import SPECIAL_SECRET, Plane

from argosy.server.routes.webhook import TokenBuckets, webhook_state
from argosy.server.run import BackgroundServer
from argosy.server.webhook import hmac_hex
from support.peer_data import peer_data_dir

GITHUB_REPO = "https://github.com/jessesuen/test-repo"
#: One app per provider payload, each naming the pushed repository in another URL form.
APPS = {
    "gh-head": (f"{GITHUB_REPO}.git", "HEAD"),
    "gh-tag": ("git@github.com:jessesuen/test-repo.git", "v1.0"),
    "gitlab": ("ssh://git@gitlab.com:2222/group/name.git", "HEAD"),
    "gogs": ("http://gogs-server/john/repo-test.git", "master"),
    "bbs": ("ssh://git@bitbucketserver:7999/myproject/test-repo.git", "HEAD"),
    "bystander": ("https://github.com/jessesuen/other-repo.git", "HEAD"),
}


@pytest.fixture(scope="module")
def payloads() -> Path:
    return peer_data_dir("webhook") / "payloads"


@pytest.fixture(scope="module", autouse=True)
def apps(plane: Plane) -> None:
    for name, (repo, revision) in APPS.items():
        plane.apply_app(name, repo, revision)


@pytest.fixture(autouse=True)
def no_refresh_pending(plane: Plane) -> None:
    plane.clear_refresh(*APPS)


def refreshed(plane: Plane) -> set[str]:
    return {name for name, value in plane.refresh_annotations().items() if name in APPS and value is not None}


def github_headers(event: str, signature: str | None) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "X-GitHub-Event": event, "X-GitHub-Delivery": "1"}
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return headers


# -- Argo CD's signature cases, over HTTP ------------------------------------------------------


def signature_cases() -> list[Any]:
    try:
        root = peer_data_dir("webhook")
    except pytest.skip.Exception:
        return [pytest.param(None, marks=pytest.mark.skip(reason="peer data absent"))]
    cases = yaml.safe_load((root / "cases.yaml").read_text())["cases"]
    return [
        pytest.param(c, id=f"{c.get('payload') or 'text'}-{'valid' if c['valid'] else 'invalid'}-{i}")
        for i, c in enumerate(cases)
        if c["kind"] == "signature"
    ]


@pytest.mark.parametrize("case", signature_cases())
def test_peer_signature_cases(case: dict[str, Any], plane: Plane, api: httpx.Client) -> None:
    """Argo CD's payloads with the signature recorded beside them: valid ones refresh, the rest get 401."""
    root = peer_data_dir("webhook")
    body = (root / case["payload"]).read_bytes() if case.get("payload") else case["payload_text"].encode()
    plane.set_secret_data({"webhook.github.secret": case["secret"]})
    event = "ping" if "ping" in str(case.get("payload")) else "push"
    resp = api.post(
        "/api/webhook", content=body, headers={**github_headers(event, None), case["header"]: case["value"]}
    )
    if not case["valid"]:
        assert resp.status_code == 401, resp.text
        assert refreshed(plane) == set()
        return
    if not case.get("payload"):
        assert resp.status_code == 400, resp.text  # authentic, but "Hello, World!" is no push event
        return
    assert resp.status_code == 200, resp.text
    payload = str(case["payload"])
    want = {"gh-head"} if "commit" in payload else {"gh-tag"} if "tag" in payload else set()
    assert refreshed(plane) == want
    assert all(plane.refresh_annotation(name) == "normal" for name in want)


# -- every provider with a secret full of special characters ----------------------------------


def provider_request(provider: str, body: bytes, secret: str | None) -> dict[str, Any]:
    """Headers as each provider sends them; ``secret`` None: no signature at all."""
    sig = None if secret is None else hmac_hex(secret, body)
    if provider == "github":
        return github_headers("push", None if sig is None else f"sha256={sig}")
    if provider == "gitlab":
        headers: dict[str, Any] = {"X-Gitlab-Event": "Push Hook"}
        if secret is not None:
            headers["X-Gitlab-Token"] = secret.encode("utf-8")  # the token itself, as UTF-8 bytes
        return headers
    if provider == "gogs":
        return {"X-Gogs-Event": "push", **({} if sig is None else {"X-Gogs-Signature": sig})}
    assert provider == "bitbucketserver"
    return {
        "X-Event-Key": "repo:refs_changed",
        **({} if sig is None else {"X-Hub-Signature": f"sha256={sig}"}),
    }


PROVIDERS = [
    ("github", "github-commit-event.json", "gh-head"),
    ("gitlab", "gitlab-event.json", "gitlab"),
    ("gogs", "gogs-event.json", "gogs"),
    ("bitbucketserver", "bitbucket-server-event.json", "bbs"),
]


@pytest.fixture
def special_secrets(plane: Plane) -> None:
    plane.set_secret_data(
        {
            "webhook.github.secret": SPECIAL_SECRET,
            "webhook.gitlab.secret": SPECIAL_SECRET,
            "webhook.gogs.secret": SPECIAL_SECRET,
            "webhook.bitbucketserver.secret": SPECIAL_SECRET,
        }
    )


@pytest.mark.parametrize(("provider", "payload", "app"), PROVIDERS)
@pytest.mark.usefixtures("special_secrets")
def test_correct_signature_refreshes_exactly_the_matching_app(
    provider: str, payload: str, app: str, payloads: Path, plane: Plane, api: httpx.Client
) -> None:
    body = (payloads / payload).read_bytes()
    resp = api.post("/api/webhook", content=body, headers=provider_request(provider, body, SPECIAL_SECRET))
    assert resp.status_code == 200, resp.text
    assert refreshed(plane) == {app}
    assert plane.refresh_annotation(app) == "normal"


@pytest.mark.parametrize(("provider", "payload", "app"), PROVIDERS)
@pytest.mark.parametrize(
    "secret",
    [None, SPECIAL_SECRET + "!", SPECIAL_SECRET.replace("é", "e")],
    ids=["missing", "one-char-more", "e-for-e-acute"],
)
@pytest.mark.usefixtures("special_secrets")
def test_missing_or_wrong_signature_is_401_and_refreshes_nothing(
    provider: str, payload: str, app: str, secret: str | None, payloads: Path, plane: Plane, api: httpx.Client
) -> None:
    body = (payloads / payload).read_bytes()
    resp = api.post("/api/webhook", content=body, headers=provider_request(provider, body, secret))
    assert resp.status_code == 401, resp.text
    assert refreshed(plane) == set()


@pytest.mark.usefixtures("special_secrets")
def test_signature_covers_the_raw_bytes(payloads: Path, plane: Plane, api: httpx.Client) -> None:
    """The same JSON with one more trailing newline is another body: its old signature no longer fits."""
    body = (payloads / "github-commit-event.json").read_bytes()
    headers = provider_request("github", body, SPECIAL_SECRET)
    resp = api.post("/api/webhook", content=body + b"\n", headers=headers)
    assert resp.status_code == 401, resp.text
    assert refreshed(plane) == set()


@pytest.mark.usefixtures("special_secrets")
def test_ping_is_accepted_and_refreshes_nothing(payloads: Path, plane: Plane, api: httpx.Client) -> None:
    body = (payloads / "github-ping-event.json").read_bytes()
    resp = api.post(
        "/api/webhook",
        content=body,
        headers=github_headers("ping", f"sha256={hmac_hex(SPECIAL_SECRET, body)}"),
    )
    assert resp.status_code == 200, resp.text
    assert refreshed(plane) == set()


def test_unsigned_requests_are_accepted_when_no_secret_is_set(
    payloads: Path, plane: Plane, api: httpx.Client
) -> None:
    plane.set_secret_data({"webhook.gitlab.secret": None})
    body = (payloads / "gitlab-event.json").read_bytes()
    resp = api.post("/api/webhook", content=body, headers=provider_request("gitlab", body, None))
    assert resp.status_code == 200, resp.text
    assert refreshed(plane) == {"gitlab"}


def test_unknown_sender_is_400(api: httpx.Client, plane: Plane) -> None:
    resp = api.post("/api/webhook", content=b"{}", headers={"Content-Type": "application/json"})
    assert resp.status_code == 400, resp.text
    assert refreshed(plane) == set()


# -- limits ------------------------------------------------------------------------------------


@pytest.mark.usefixtures("special_secrets")
def test_payload_over_max_payload_size_is_413(payloads: Path, plane: Plane, api: httpx.Client) -> None:
    body = (payloads / "github-commit-event.json").read_bytes()
    plane.set_cm({"webhook.maxPayloadSizeMB": str(round((len(body) - 1) / 1024 / 1024, 6))})
    try:
        headers = provider_request("github", body, SPECIAL_SECRET)
        resp = api.post("/api/webhook", content=body, headers=headers)
        assert resp.status_code == 413, resp.text
        assert "webhook.maxPayloadSizeMB" in resp.text
        assert refreshed(plane) == set()
        # A streamed body without Content-Length is cut off as well.
        resp = api.post("/api/webhook", content=iter([body[:1000], body[1000:]]), headers=headers)
        assert resp.status_code == 413, resp.text
    finally:
        plane.set_cm({})
    resp = api.post("/api/webhook", content=body, headers=provider_request("github", body, SPECIAL_SECRET))
    assert resp.status_code == 200, resp.text


@pytest.fixture
def tight_limit(server: BackgroundServer) -> Iterator[None]:
    state = webhook_state(server.prepared.uvicorn_config.app)
    previous = state.limiter
    state.limiter = TokenBuckets(rate=0.01, burst=3)
    try:
        yield
    finally:
        state.limiter = previous


@pytest.mark.usefixtures("special_secrets", "tight_limit")
def test_rate_limit_answers_429_and_refreshes_nothing(
    payloads: Path, plane: Plane, api: httpx.Client
) -> None:
    body = (payloads / "github-commit-event.json").read_bytes()
    for _ in range(3):
        assert api.post("/api/webhook", content=b"{}").status_code == 400
    resp = api.post("/api/webhook", content=body, headers=provider_request("github", body, SPECIAL_SECRET))
    assert resp.status_code == 429, resp.text
    assert int(resp.headers["Retry-After"]) >= 1
    assert refreshed(plane) == set()


# -- metrics -----------------------------------------------------------------------------------


def scrape(api: httpx.Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    resp = api.get("/metrics")
    assert resp.status_code == 200, resp.text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(resp.text)
        for s in family.samples
    }


@pytest.mark.usefixtures("special_secrets")
def test_metrics_count_webhooks_by_repo_and_logins_by_status(
    payloads: Path, plane: Plane, api: httpx.Client
) -> None:
    webhook_key = ("argocd_webhook_requests_total", (("repo", GITHUB_REPO),))
    before = scrape(api)
    body = (payloads / "github-commit-event.json").read_bytes()
    assert (
        api.post(
            "/api/webhook", content=body, headers=provider_request("github", body, SPECIAL_SECRET)
        ).status_code
        == 200
    )
    assert (
        api.post("/api/webhook", content=body, headers=provider_request("github", body, "wrong")).status_code
        == 401
    )
    password = base64.b64decode(
        plane.kubectl(
            "get",
            "secret",
            "argocd-initial-admin-secret",
            "-n",
            plane.namespace,
            "-o",
            "jsonpath={.data.password}",
        )
    ).decode()
    assert api.post("/api/v1/session", json={"username": "admin", "password": password}).status_code == 200
    assert api.post("/api/v1/session", json={"username": "admin", "password": "nope"}).status_code == 401
    after = scrape(api)

    def delta(key: tuple[str, tuple[tuple[str, str], ...]]) -> float:
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert delta(webhook_key) == 1  # the 401 is not counted: nothing in it can be trusted
    assert delta(("argocd_login_request_total", (("status", "success"),))) == 1
    assert delta(("argocd_login_request_total", (("status", "failure"),))) == 1
