"""``POST /api/webhook`` on a real server under a flood and a replay.

* A burst of 1,000 forged pushes from one address (loopback, as a sidecar or a
  ``kubectl port-forward`` would be, with a new ``X-Forwarded-For`` each time,
  which is never believed) is cut down to the per-address budget (``ARGOSY_WEBHOOK_RATE_LIMIT`` /
  ``..._BURST``: 20/s after a burst of 100) with 429s, while signed pushes from
  the Git provider's address all get through and refresh their app.
* Replaying an old signed push, many times, does what one push does: it asks
  for a refresh. It cannot deploy an old revision or change anything else,
  because a push names no revision to deploy.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from argosy.server.routes.webhook import DEFAULT_BURST, DEFAULT_RATE, TokenBuckets, webhook_state
from argosy.server.run import BackgroundServer
from argosy.server.webhook import hmac_hex
from support.api_server import ControlPlane, application
from support.budget import scaled

SECRET = f"flood-secret-{uuid.uuid4().hex[:6]}"
REPO = "https://github.com/example/flooded"
REFRESH = "argocd.argoproj.io/refresh"


@pytest.fixture(scope="module", autouse=True)
def webhook_setup(control_plane: ControlPlane, server: BackgroundServer) -> Iterator[None]:
    control_plane.cluster.kubectl(
        "patch", "secret", "argocd-secret", "-n", control_plane.namespace, "--type=merge",
        "-p", json.dumps({"stringData": {"webhook.github.secret": SECRET}}),
    )  # fmt: skip
    # The settings cache (one second, as in production) may hold the secret-less settings: wait
    # until a signed ping is accepted and a forged one refused, i.e. the secret is in force.
    ping = b'{"zen": "hi"}'
    deadline = time.monotonic() + 30
    with httpx.Client(base_url=server.url, timeout=30) as client:
        while True:
            headers = {**signed(ping), "X-GitHub-Event": "ping"}
            forged = {**signed(ping, "not-the-secret"), "X-GitHub-Event": "ping"}
            ok = client.post("/api/webhook", content=ping, headers=headers).status_code
            refused = client.post("/api/webhook", content=ping, headers=forged).status_code
            if (ok, refused) == (200, 401):
                break
            assert time.monotonic() < deadline, f"the webhook secret never took effect: {ok}, {refused}"
            time.sleep(0.2)
    for name, repo in (("target", f"{REPO}.git"), ("bystander", "https://github.com/example/other.git")):
        app = application(name, repo=repo)
        app["spec"]["source"]["targetRevision"] = "main"
        control_plane.apply(app)
    yield


@pytest.fixture(autouse=True)
def fresh_limiter(server: BackgroundServer) -> None:
    """Each test starts with the production defaults and full buckets (the flood empties one)."""
    webhook_state(server.prepared.uvicorn_config.app).limiter = TokenBuckets(DEFAULT_RATE, DEFAULT_BURST)


def push(before: str = "0" * 40, after: str = "1" * 40) -> bytes:
    payload = {
        "ref": "refs/heads/main",
        "before": before,
        "after": after,
        "repository": {"html_url": REPO, "default_branch": "main"},
        "commits": [{"added": [], "modified": ["guestbook/ui.yaml"], "removed": []}],
    }
    return json.dumps(payload).encode()


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-GitHub-Event": "push",
        "X-Hub-Signature-256": f"sha256={hmac_hex(secret, body)}",
    }


def app_state(control_plane: ControlPlane, name: str) -> dict[str, Any]:
    return control_plane.get("applications.argoproj.io", name)


def app_count(control_plane: ControlPlane) -> int:
    out = control_plane.cluster.kubectl(
        "get", "applications.argoproj.io", "-n", control_plane.namespace, "-o", "json"
    ).stdout
    return len(json.loads(out)["items"])


def clear_refresh(control_plane: ControlPlane, *names: str) -> None:
    for name in names:
        control_plane.cluster.kubectl(
            "annotate", "applications.argoproj.io", name, "-n", control_plane.namespace, f"{REFRESH}-"
        )


def test_a_replayed_old_push_only_asks_for_a_refresh(api: httpx.Client, control_plane: ControlPlane) -> None:
    clear_refresh(control_plane, "target", "bystander")
    before = {n: app_state(control_plane, n) for n in ("target", "bystander")}
    apps_before = app_count(control_plane)
    old = push(before="a" * 40, after="b" * 40)  # an old push: "after" is long behind the branch
    replays = scaled(20, 200)
    statuses = Counter(
        api.post("/api/webhook", content=old, headers=signed(old)).status_code for _ in range(replays)
    )
    assert statuses == Counter({200: replays})
    after = {n: app_state(control_plane, n) for n in ("target", "bystander")}
    assert after["target"]["metadata"]["annotations"][REFRESH] == "normal"
    assert REFRESH not in (after["bystander"]["metadata"].get("annotations") or {})
    for name in ("target", "bystander"):
        assert after[name]["spec"] == before[name]["spec"], f"{name}: a replay changed the spec"
        assert after[name]["metadata"]["generation"] == before[name]["metadata"]["generation"]
        assert after[name].get("status") == before[name].get("status")
        assert "operation" not in after[name], f"{name}: a replay started an operation"
    apps_after = app_count(control_plane)
    assert apps_after == apps_before


def test_a_flood_from_one_address_is_limited_while_signed_pushes_get_through(
    server: BackgroundServer, control_plane: ControlPlane
) -> None:
    clear_refresh(control_plane, "target")
    flood = scaled(1000, 5000)
    forged = push()
    attacker = httpx.Client(base_url=server.url, timeout=60)  # from 127.0.0.1
    provider = httpx.Client(
        base_url=server.url, timeout=60, transport=httpx.HTTPTransport(local_address="127.0.0.3")
    )
    legit: list[int] = []
    done = threading.Event()

    def attack(i: int) -> int:
        headers = {**signed(forged, "not-the-secret"), "X-Forwarded-For": f"10.{i % 250}.{i // 250}.1"}
        return attacker.post("/api/webhook", content=forged, headers=headers).status_code

    def provider_pushes() -> None:
        while not done.is_set() or len(legit) < 5:
            body = push(after=uuid.uuid4().hex + "0" * 8)
            legit.append(provider.post("/api/webhook", content=body, headers=signed(body)).status_code)
            time.sleep(0.05)

    started = time.monotonic()
    pusher = threading.Thread(target=provider_pushes)
    pusher.start()
    try:
        with ThreadPoolExecutor(max_workers=16) as pool:
            statuses = Counter(pool.map(attack, range(flood)))
    finally:
        done.set()
        pusher.join(timeout=120)
        attacker.close()
        provider.close()
    elapsed = time.monotonic() - started
    admitted_budget = DEFAULT_BURST + DEFAULT_RATE * elapsed
    print(f"flood of {flood} in {elapsed:.1f}s: {dict(statuses)}; provider pushes: {Counter(legit)}")
    assert set(statuses) <= {401, 429}, statuses
    assert statuses[401] <= admitted_budget + 1, (statuses, elapsed)
    assert statuses[429] >= flood - admitted_budget - 1
    assert legit and set(legit) == {200}, Counter(legit)
    assert app_state(control_plane, "target")["metadata"]["annotations"][REFRESH] == "normal"


def _complete(response: bytes) -> bool:
    """Has the whole HTTP response (headers and its Content-Length of body) arrived?"""
    head, sep, body = response.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value.strip())
    return True


def test_a_body_declared_over_the_default_50_mb_is_refused_before_it_is_read(
    server: BackgroundServer,
) -> None:
    """Argo CD's default ``webhook.maxPayloadSizeMB`` is 50: the answer comes before any byte of the body."""
    declared = 50 * 1024 * 1024 + 1
    request = (
        f"POST /api/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"X-GitHub-Event: push\r\nContent-Length: {declared}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(request)  # and not one byte of the announced body
        received = b""
        while not _complete(received):
            chunk = sock.recv(4096)
            if not chunk:
                break
            received += chunk
        answer = received.decode("latin-1")
    assert answer.startswith("HTTP/1.1 413"), answer
    assert "webhook.maxPayloadSizeMB" in answer
