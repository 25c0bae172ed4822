"""The API client limits itself (QPS + burst, as client-go) and waits out 429 throttling."""

from __future__ import annotations

from typing import Any

import pytest

from argosy.kube.clients import THROTTLED_RETRIES, KubeClient
from argosy.kube.errors import KubeApiError
from argosy.kube.ratelimit import RateLimit, TokenBucket
from argosy.settings.clusters import ClusterConfig


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_burst_passes_at_once_then_requests_are_spaced_by_qps() -> None:
    clock = Clock()
    bucket = TokenBucket(RateLimit(qps=10, burst=5), clock=clock, sleep=clock.sleep)
    for _ in range(5):
        bucket.take()
    assert clock.slept == []
    for _ in range(10):
        bucket.take()
    assert clock.now == pytest.approx(1.0), "10 more requests at 10 QPS take one second"


def test_idle_time_refills_the_bucket_up_to_the_burst_only() -> None:
    clock = Clock()
    bucket = TokenBucket(RateLimit(qps=10, burst=3), clock=clock, sleep=clock.sleep)
    clock.now = 100.0
    for _ in range(3):
        bucket.take()
    assert clock.slept == []
    bucket.take()
    assert clock.slept == [pytest.approx(0.1)]


def test_zero_qps_means_no_limit() -> None:
    clock = Clock()
    bucket = TokenBucket(RateLimit(qps=0, burst=1), clock=clock, sleep=clock.sleep)
    for _ in range(1000):
        bucket.take()
    assert clock.slept == []


def test_argo_cd_environment_variables_set_the_limit() -> None:
    assert RateLimit.from_env({}) == RateLimit(50.0, 100)
    assert RateLimit.from_env(
        {"ARGOCD_K8S_CLIENT_QPS": "200", "ARGOCD_K8S_CLIENT_BURST": "400"}
    ) == RateLimit(200.0, 400)
    with pytest.raises(ValueError, match="ARGOCD_K8S_CLIENT_QPS"):
        RateLimit.from_env({"ARGOCD_K8S_CLIENT_QPS": "fast"})


class _Response:
    def __init__(self, status: int, body: bytes = b"{}", retry_after: str | None = None) -> None:
        self.status, self.reason, self._body = status, "x", body
        self._headers = {"Retry-After": retry_after} if retry_after else {}

    def read(self) -> bytes:
        return self._body

    def getheader(self, name: str, default: Any = None) -> Any:
        return self._headers.get(name, default)


class _Api:
    def __init__(self, responses: list[_Response]) -> None:
        self.responses = responses
        self.calls = 0
        self.configuration = type("C", (), {"host": "https://127.0.0.1:6443"})()

    def param_serialize(self, *args: Any, **kwargs: Any) -> tuple[Any, ...]:
        return ()

    def call_api(self, *args: Any, **kwargs: Any) -> _Response:
        self.calls += 1
        return self.responses.pop(0)


def _client(responses: list[_Response], slept: list[float]) -> tuple[KubeClient, _Api]:
    client = KubeClient(
        ClusterConfig(server="https://127.0.0.1:6443", name="test", kubeconfig=None),
        limit=RateLimit(qps=0),
        sleep=slept.append,
    )
    api = _Api(responses)
    client.api = api
    return client, api


def test_throttled_requests_wait_retry_after_and_succeed() -> None:
    slept: list[float] = []
    client, api = _client(
        [_Response(429, retry_after="2"), _Response(429), _Response(200, b'{"a": 1}')], slept
    )
    assert client.request("GET", "/api/v1/namespaces") == {"a": 1}
    assert api.calls == 3 and slept == [2.0, 1.0]


def test_throttling_that_never_ends_surfaces_as_an_api_error() -> None:
    slept: list[float] = []
    client, _ = _client([_Response(429, retry_after="60") for _ in range(THROTTLED_RETRIES + 1)], slept)
    with pytest.raises(KubeApiError):
        client.request("GET", "/api/v1/namespaces")
    assert len(slept) == THROTTLED_RETRIES and max(slept) == 5.0, "Retry-After is bounded"


class _ClosingApi(_Api):
    closed = 0

    def close(self) -> None:
        self.closed += 1


def test_a_client_with_its_own_limit_shares_connections_but_not_tokens() -> None:
    """Argo CD's limit is per client (each sync builds new ones): a view spends its own tokens."""
    client = KubeClient(
        ClusterConfig(server="https://127.0.0.1:6443", name="test", kubeconfig=None),
        limit=RateLimit(qps=5, burst=1),
    )
    api = _ClosingApi([_Response(200) for _ in range(3)])
    client.api = api
    view = client.with_own_limit()
    assert view.api is api and view.name == client.name
    assert view.bucket is not client.bucket and view.bucket.limit == RateLimit(qps=5, burst=1)

    client.request("GET", "/api/v1/namespaces")
    view.request("GET", "/api/v1/namespaces")
    assert client.bucket.waited == 0 and view.bucket.waited == 0, "the view's burst is its own"
    client.request("GET", "/api/v1/namespaces")
    assert client.bucket.waited == pytest.approx(0.2, abs=0.05), "the parent's second request waits"

    view.close()
    assert api.closed == 0, "closing a view leaves the parent's connections open"
    client.close()
    assert api.closed == 1
