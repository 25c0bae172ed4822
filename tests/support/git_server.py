"""``git http-backend`` behind a small threaded HTTP(S) server with basic auth.

Public repositories need no credentials; private ones need one of the
configured users (``username:password``) or a token (any username). Every
request is recorded, so tests can count ``ls-remote`` and fetches.

    with GitHttpServer(tmp_path) as server:
        repo = server.create_repo("apps", private=True)
        repo.commit({"app/cm.yaml": "..."})
        url = server.url("apps")
"""

from __future__ import annotations

import base64
import gzip
import os
import re
import ssl
import subprocess
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from support.gitrepo import GitRepo
from support.tls import TlsFiles, make_server_cert

BACKEND = "/usr/lib/git-core/git-http-backend"


@dataclass
class Request:
    method: str
    path: str
    query: str
    user: str
    command: str = ""  # protocol v2 command of an upload-pack POST: "ls-refs" or "fetch"


class GitHttpServer:
    def __init__(
        self,
        root: Path,
        users: dict[str, str] | None = None,
        tokens: tuple[str, ...] = (),
        tls: bool = False,
        host: str = "127.0.0.1",
    ) -> None:
        # ``host``: loopback, or a real-node cluster's gateway so Pods (an in-cluster repo server) reach it.
        self.host = host
        self.root = root / "git-http"
        self.root.mkdir(parents=True, exist_ok=True)
        self.users = dict(users or {"alice": "alice-secret-pw"})
        self.tokens = tokens
        self.private: set[str] = set()
        self.requests: list[Request] = []
        self.tls: TlsFiles | None = make_server_cert(root / "git-tls") if tls else None
        self.delay = 0.0
        self._httpd: ThreadingHTTPServer | None = None

    # -- lifecycle -------------------------------------------------------------
    def start(self) -> GitHttpServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                server._handle(self)

            def do_POST(self) -> None:
                server._handle(self)

        self._httpd = ThreadingHTTPServer((self.host, 0), Handler)
        self._httpd.daemon_threads = True
        if self.tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(self.tls.cert_file, self.tls.key_file)
            self._httpd.socket = ctx.wrap_socket(self._httpd.socket, server_side=True)
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()

    def __enter__(self) -> GitHttpServer:
        return self.start()

    def __exit__(self, *exc: object | TracebackType) -> None:
        self.stop()

    # -- repositories ----------------------------------------------------------
    @property
    def port(self) -> int:
        assert self._httpd is not None
        return int(self._httpd.server_address[1])

    def url(self, name: str) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{self.host}:{self.port}/{name}.git"

    def create_repo(self, name: str, private: bool = False, branch: str = "main") -> GitRepo:
        if private:
            self.private.add(name)
        return GitRepo(self.root / f"{name}.git", branch)

    def count(self, kind: str, name: str | None = None) -> int:
        """Ref advertisements served (``info``: one per ls-remote or fetch), or ``fetch`` requests."""
        reqs = [r for r in self.requests if name is None or r.path.startswith(f"/{name}.git/")]
        if kind == "info":
            return sum(1 for r in reqs if r.path.endswith("/info/refs"))
        return sum(1 for r in reqs if r.path.endswith("/git-upload-pack") and r.command == "fetch")

    # -- request handling ------------------------------------------------------
    def _user(self, header: str | None) -> str | None:
        if not header or not header.lower().startswith("basic "):
            return None
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return None
        if self.users.get(user) == password and password:
            return user
        if password in self.tokens:
            return user or "token"
        return None

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        path, _, query = h.path.partition("?")
        name = path.lstrip("/").split(".git/", 1)[0]
        user = self._user(h.headers.get("Authorization"))
        self.requests.append(Request(h.command, path, query, user or ""))
        if self.delay:
            threading.Event().wait(self.delay)
        if name in self.private and user is None:
            h.send_response(401)
            h.send_header("WWW-Authenticate", 'Basic realm="argosy-test"')
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        if h.command == "POST":
            plain = gzip.decompress(body) if h.headers.get("Content-Encoding") == "gzip" else body
            # v2 requests start with "command=<name>"; v0 upload-pack POSTs are always fetches.
            m = re.search(rb"command=([a-z-]+)", plain[:64])
            self.requests[-1].command = m.group(1).decode() if m else "fetch"
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": str(self.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "REQUEST_METHOD": h.command,
            "CONTENT_TYPE": h.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_USER": user or "",
            "REMOTE_ADDR": "127.0.0.1",
            "GIT_PROTOCOL": h.headers.get("Git-Protocol", ""),
            "HTTP_CONTENT_ENCODING": h.headers.get("Content-Encoding", ""),
        }
        proc = subprocess.run([BACKEND], input=body, env=env, capture_output=True, timeout=120, check=False)
        head, _, payload = proc.stdout.partition(b"\r\n\r\n")
        status = 200
        headers: list[tuple[str, str]] = []
        for line in head.decode("latin-1").split("\r\n"):
            key, _, value = line.partition(":")
            if key.lower() == "status":
                status = int(value.strip().split()[0])
            elif key:
                headers.append((key, value.strip()))
        h.send_response(status)
        for key, value in headers:
            h.send_header(key, value)
        h.send_header("Content-Length", str(len(payload)))
        h.end_headers()
        h.wfile.write(payload)
