"""A 429 from the API server reaches the client's own retry loop, through the real HTTP stack.

Priority-and-fairness answers 429 with ``Retry-After: 1`` when a client bursts (a controller
starting fills its caches with a list per kind). The client waits and retries up to
``THROTTLED_RETRIES`` times, as client-go does. urllib3 must not get there first: with its
``status=0`` retry budget it turned the first 429 into "too many 429 error responses", which the
client reported as the cluster being unreachable, and a sync starting at that moment ended in
Error. Served here by a loopback HTTP server, so urllib3's behaviour is the real one.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from argosy.kube.clients import THROTTLED_RETRIES, KubeClient
from argosy.kube.errors import KubeApiError
from argosy.kube.ratelimit import RateLimit
from argosy.settings.clusters import ClusterConfig


class _Throttling(ThreadingHTTPServer):
    throttle = 0  # how many of the next requests get a 429
    served = 0


class _Handler(BaseHTTPRequestHandler):
    server: _Throttling

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.server.served += 1
        if self.server.throttle > 0:
            self.server.throttle -= 1
            body = b'{"kind":"Status","status":"Failure","reason":"TooManyRequests","code":429}'
            self.send_response(429)
            self.send_header("Retry-After", "1")
        else:
            body = json.dumps({"kind": "NamespaceList", "items": []}).encode()
            self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def api_server() -> Iterator[_Throttling]:
    server = _Throttling(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _client(server: _Throttling, slept: list[float]) -> KubeClient:
    port = server.server_address[1]
    cluster = ClusterConfig(server=f"http://127.0.0.1:{port}", name="throttled", kubeconfig=None)
    return KubeClient(cluster, limit=RateLimit(qps=0), sleep=slept.append)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_429s_are_waited_out_by_the_client_not_failed_by_urllib3(
    api_server: _Throttling, method: str
) -> None:
    slept: list[float] = []
    client = _client(api_server, slept)
    api_server.throttle = 4
    body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}} if method == "POST" else None
    assert client.request(method, "/api/v1/namespaces", body=body)["kind"] == "NamespaceList"
    assert api_server.served == 5 and slept == [1.0] * 4


def test_throttling_that_never_ends_is_an_api_error_naming_the_cluster(api_server: _Throttling) -> None:
    slept: list[float] = []
    client = _client(api_server, slept)
    api_server.throttle = THROTTLED_RETRIES + 1
    with pytest.raises(KubeApiError, match="throttled"):
        client.request("GET", "/api/v1/namespaces")
    assert api_server.served == THROTTLED_RETRIES + 1
