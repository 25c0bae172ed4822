"""The plugin generator against a real HTTP service started by the test (on loopback).

The service checks the bearer token and answers with parameter sets built from
the generator's ``input.parameters``, as a user's plugin would.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from argosy.appset.generate import generate_applications
from argosy.appset.generators import GenerateContext
from argosy.appset.plugin import HttpPlugins
from argosy.appset.validate import KnownCluster

TOKEN = "s3cr3t-plugin-token"
Obj = dict[str, Any]


class _Plugin(BaseHTTPRequestHandler):
    calls: ClassVar[list[Obj]] = []

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Plugin.calls.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self.send_response(403)
            self.end_headers()
            return
        envs = body["input"]["parameters"]["envs"]
        answer = {"output": {"parameters": [{"env": e, "replicas": i + 1} for i, e in enumerate(envs)]}}
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def plugin_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Plugin)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def _appset(go: bool) -> Obj:
    name = (
        "plug-{{.env}}-{{.generator.input.parameters.team}}"
        if go
        else "plug-{{env}}-{{generator.input.parameters.team}}"
    )
    return {
        "metadata": {"name": "plugged", "namespace": "argocd"},
        "spec": {
            "goTemplate": go,
            "generators": [
                {
                    "plugin": {
                        "configMapRef": {"name": "my-plugin"},
                        "input": {"parameters": {"envs": ["dev", "prod"], "team": "a"}},
                    }
                }
            ],
            "template": {
                "metadata": {"name": name},
                "spec": {
                    "project": "default",
                    "source": {"repoURL": "https://git.example.com/x.git", "path": "p"},
                    "destination": {
                        "server": "https://kubernetes.default.svc",
                        "namespace": "{{.env}}" if go else "{{env}}",
                    },
                },
            },
        },
    }


def _run(url: str, token_ref: str, go: bool = False) -> Any:
    configmaps = {"my-plugin": {"data": {"baseUrl": url, "token": token_ref}}}
    secrets = {"argocd-secret": {"data": {"plugin.token": base64.b64encode(TOKEN.encode()).decode()}}}
    plugins = HttpPlugins(configmaps.get, secrets.get)
    local = [KnownCluster("in-cluster", "https://kubernetes.default.svc")]
    return generate_applications(_appset(go), GenerateContext(plugins=plugins), local, None)


@pytest.mark.parametrize("go", [False, True])
def test_plugin_answers_become_applications_with_the_token_from_argocd_secret(
    plugin_url: str, go: bool
) -> None:
    _Plugin.calls.clear()
    result = _run(plugin_url, "$plugin.token", go)
    assert result.errors == []
    assert [a["metadata"]["name"] for a in result.applications] == ["plug-dev-a", "plug-prod-a"]
    (call,) = _Plugin.calls
    assert call["path"] == "/api/v1/getparams.execute" and call["body"]["applicationSetName"] == "plugged"


def test_a_refused_token_is_a_generator_error_that_does_not_show_the_token(plugin_url: str) -> None:
    result = _run(plugin_url, "wrong-token")
    assert result.applications == [] and result.failed_generators == [0]
    assert "403" in result.errors[0] and "wrong-token" not in result.errors[0]
