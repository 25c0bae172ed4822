"""A Helm chart repository over HTTP: ``helm package`` + ``helm repo index``, optional basic auth.

with HelmRepoServer(tmp_path) as repo:
    repo.add_chart(make_chart(tmp_path / "src", "web", "1.2.3", {...}))
    repo.url  # http://127.0.0.1:<port>
"""

from __future__ import annotations

import base64
import subprocess
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml

from argosy.repo.tools import find


def make_chart(
    dest: Path,
    name: str,
    version: str,
    templates: dict[str, str],
    values: dict[str, Any] | None = None,
    dependencies: list[dict[str, Any]] | None = None,
    extra_files: dict[str, str] | None = None,
) -> Path:
    """Write a chart directory ``dest/name`` and return it."""
    chart = dest / name
    (chart / "templates").mkdir(parents=True, exist_ok=True)
    meta: dict[str, Any] = {"apiVersion": "v2", "name": name, "version": version, "type": "application"}
    if dependencies:
        meta["dependencies"] = dependencies
    (chart / "Chart.yaml").write_text(yaml.safe_dump(meta))
    (chart / "values.yaml").write_text(yaml.safe_dump(values or {}))
    for rel, text in templates.items():
        (chart / "templates" / rel).write_text(text)
    for rel, text in (extra_files or {}).items():
        (chart / rel).parent.mkdir(parents=True, exist_ok=True)
        (chart / rel).write_text(text)
    return chart


def helm(*args: str, cwd: Path | None = None) -> str:
    proc = subprocess.run(
        [find("helm"), *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )
    if proc.returncode != 0:
        raise AssertionError(f"helm {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout


class HelmRepoServer:
    def __init__(self, root: Path, auth: tuple[str, str] | None = None) -> None:
        self.dir = root / ("helm-repo-private" if auth else "helm-repo")
        self.dir.mkdir(parents=True, exist_ok=True)
        self.auth = auth
        self.requests: list[str] = []
        self._httpd: ThreadingHTTPServer | None = None

    def start(self) -> HelmRepoServer:
        server = self

        class Handler(SimpleHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                server.requests.append(self.path)
                if server.auth:
                    want = "Basic " + base64.b64encode(":".join(server.auth).encode()).decode()
                    if self.headers.get("Authorization") != want:
                        self.send_response(401)
                        self.send_header("WWW-Authenticate", 'Basic realm="charts"')
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                super().do_GET()

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(self.dir)))
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()

    def __enter__(self) -> HelmRepoServer:
        return self.start()

    def __exit__(self, *exc: object | TracebackType) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def add_chart(self, chart_dir: Path) -> None:
        """Package the chart into the repository and re-index it."""
        helm("package", str(chart_dir), "--destination", str(self.dir))
        helm("repo", "index", str(self.dir), "--url", self.url)
