"""Prometheus metrics of the API server, served at ``GET /metrics`` on the server's own port.

Argo CD's names, so its dashboards keep working:

* ``argocd_login_request_total{status}``: logins (``POST /api/v1/session``)
  by outcome, ``success`` or ``failure`` — a rising failure rate is a
  password-guessing attempt or a broken script;
* ``argocd_webhook_requests_total{repo}``: authenticated webhook events by
  the repository they name (401/413/429 answers are not counted: they carry
  nothing trustworthy to label).

Each server app has its own registry (several servers can run in one test
process without sharing counts). ``/metrics`` needs no token, as Argo CD's
metrics port; it reveals no secret, only counts and repository URLs.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOGIN_PATH = "/api/v1/session"


class ServerMetrics:
    """The API server's counters; routes reach them through :func:`server_metrics`."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.login_requests = Counter(
            "argocd_login_request",
            "Number of login requests to the Argo CD API server.",
            ["status"],
            registry=self.registry,
        )
        self.webhook_requests = Counter(
            "argocd_webhook_requests",
            "Number of webhook requests received by repo.",
            ["repo"],
            registry=self.registry,
        )


def server_metrics(app: Any) -> ServerMetrics:
    metrics: ServerMetrics = app.state.metrics
    return metrics


class LoginMetricsMiddleware:
    """Counts login answers by status without touching the session route (plain ASGI: streams pass)."""

    def __init__(self, app: ASGIApp, metrics: ServerMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST" or scope.get("path") != LOGIN_PATH:
            await self.app(scope, receive, send)
            return

        async def observe(message: Message) -> None:
            if message["type"] == "http.response.start":
                status = "success" if message["status"] == 200 else "failure"
                self.metrics.login_requests.labels(status).inc()
            await send(message)

        await self.app(scope, receive, observe)


def install_metrics(app: FastAPI) -> ServerMetrics:
    """Give ``app`` its registry, the login counter and the ``/metrics`` route."""
    metrics = ServerMetrics()
    app.state.metrics = metrics
    app.add_middleware(LoginMetricsMiddleware, metrics=metrics)

    @app.get("/metrics", include_in_schema=False)
    def prometheus_metrics(request: Request) -> Response:
        return Response(generate_latest(server_metrics(request.app).registry), media_type=CONTENT_TYPE_LATEST)

    return metrics
