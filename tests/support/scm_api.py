"""A loopback JSON API standing in for a Git hosting service in SCM generator tests.

A test gives a handler that sees each GET (raw path with its %-encoding kept,
query, headers) and answers ``(status, body, headers)``; every request is
recorded so a test can check what the client sent.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from argosy.appset.generate import generate_applications
from argosy.appset.generators import GenerateContext
from argosy.appset.scm.http import HttpScm
from argosy.appset.validate import KnownCluster


@dataclass(frozen=True)
class Request:
    raw_path: str
    query: dict[str, str]
    headers: Mapping[str, str]


Reply = tuple[int, Any, Mapping[str, str]]
Handler = Callable[[Request], Reply]


@contextmanager
def serve(handler: Handler) -> Iterator[tuple[str, list[Request]]]:
    """Yields the server's base URL and the list of requests it has answered."""
    seen: list[Request] = []

    class _Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            query = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
            request = Request(url.path, query, {k.lower(): v for k, v in self.headers.items()})
            seen.append(request)
            code, body, headers = handler(request)
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def paged(items: list[Any], page: int, size: int) -> tuple[list[Any], bool]:
    """One page (1-based) of ``items`` and whether another follows."""
    start = (page - 1) * size
    return items[start : start + size], start + size < len(items)


def generate(
    generator: Mapping[str, Any],
    name: str,
    secrets: Mapping[str, Mapping[str, Any]],
    allowed: list[str] | None = None,
    go_template: bool = False,
    annotations: Mapping[str, str] | None = None,
) -> Any:
    """Runs one generator of an ApplicationSet whose apps are named by ``name`` (a template)."""
    appset = {
        "metadata": {"name": "scm", "namespace": "argocd"},
        "spec": {
            "goTemplate": go_template,
            "generators": [generator],
            "template": {
                "metadata": {"name": name, "annotations": dict(annotations or {})},
                "spec": {
                    "project": "default",
                    "source": {"repoURL": "https://git.example.com/x.git", "path": "p"},
                    "destination": {"server": "https://kubernetes.default.svc", "namespace": "scm"},
                },
            },
        },
    }
    ctx = GenerateContext(scm=HttpScm(secrets.get), allowed_scm_providers=allowed or [])
    local = [KnownCluster("in-cluster", "https://kubernetes.default.svc")]
    return generate_applications(appset, ctx, local, None)
