"""An OCI registry on loopback (Debian's ``docker-registry``, the CNCF distribution), plain HTTP.

Charts are pushed with the real ``helm push``; container images are written
through the registry's HTTP API (:mod:`support.oci_images`). With ``auth`` the
registry requires basic auth (htpasswd, bcrypt); with ``tls`` it serves HTTPS
with a throwaway CA (``ca_pem``).

    with OciRegistry(tmp_path, auth=("u", "p")) as reg:
        reg.push_chart(chart_dir)          # -> oci://127.0.0.1:<port>/charts/<name>
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

import bcrypt
import yaml

from argosy.repo.tools import find
from support.tls import make_server_cert

REGISTRY = shutil.which("docker-registry") or "/usr/bin/docker-registry"


class OciRegistry:
    def __init__(self, root: Path, auth: tuple[str, str] | None = None, tls: bool = False) -> None:
        self.dir = root / (("oci-private" if auth else "oci") + ("-tls" if tls else ""))
        self.dir.mkdir(parents=True, exist_ok=True)
        self.auth = auth
        self.tls = make_server_cert(self.dir / "tls") if tls else None
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self._proc: subprocess.Popen[bytes] | None = None

    @staticmethod
    def available() -> bool:
        return os.path.exists(REGISTRY)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The distribution API's base URL (``http://`` or ``https://``)."""
        return f"{'https' if self.tls else 'http'}://{self.host}"

    @property
    def ca_pem(self) -> str:
        return self.tls.ca_pem if self.tls else ""

    def start(self) -> OciRegistry:
        config: dict[str, object] = {
            "version": 0.1,
            "log": {"level": "error"},
            "storage": {"filesystem": {"rootdirectory": str(self.dir / "data")}},
            "http": {"addr": self.host},
        }
        if self.tls:
            config["http"] = {
                "addr": self.host,
                "tls": {"certificate": str(self.tls.cert_file), "key": str(self.tls.key_file)},
            }
        if self.auth:
            htpasswd = self.dir / "htpasswd"
            hashed = bcrypt.hashpw(self.auth[1].encode(), bcrypt.gensalt(rounds=4)).decode()
            htpasswd.write_text(f"{self.auth[0]}:{hashed}\n")
            config["auth"] = {"htpasswd": {"realm": "argosy-test", "path": str(htpasswd)}}
        path = self.dir / "config.yml"
        path.write_text(yaml.safe_dump(config))
        log = open(self.dir / "registry.log", "ab")  # noqa: SIM115
        self._proc = subprocess.Popen([REGISTRY, "serve", str(path)], stdout=log, stderr=log)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"registry exited: {(self.dir / 'registry.log').read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("registry did not start listening")

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(timeout=10)

    def __enter__(self) -> OciRegistry:
        return self.start()

    def __exit__(self, *exc: object | TracebackType) -> None:
        self.stop()

    def push_chart(self, chart_dir: Path, namespace: str = "charts") -> str:
        """Package and push; returns the repository URL to use as ``repoURL`` (``oci://host/namespace``)."""
        helm = find("helm")
        work = self.dir / "push"
        work.mkdir(exist_ok=True)
        env = {**os.environ, "HELM_REGISTRY_CONFIG": str(work / "registry.json")}
        run = lambda *a, stdin=None: subprocess.run(  # noqa: E731
            [helm, *a], env=env, input=stdin, capture_output=True, text=True, timeout=120, check=True
        )
        if self.auth:
            run(
                "registry",
                "login",
                self.host,
                "--plain-http",
                "-u",
                self.auth[0],
                "--password-stdin",
                stdin=self.auth[1],
            )
        out = run("package", str(chart_dir), "--destination", str(work)).stdout
        archive = out.strip().rsplit(": ", 1)[-1]
        run("push", archive, f"oci://{self.host}/{namespace}", "--plain-http")
        return f"oci://{self.host}/{namespace}"
