"""Benchmark: how long the ``argosy`` CLI takes before and around a server call.

Every command pays the CLI's start-up, so it is measured on its own:
``argosy --version`` (no server), and ``argosy app list`` against a loopback
HTTP server that answers ``GET /api/v1/applications`` with 20 canned
Applications at once — the command's time minus the server's own response
time (measured directly) is what the CLI adds. Goals: ``--version`` <= 0.3 s,
``app list`` <= 0.3 s above the server's response time.

Run: .venv/bin/python bench/bench_cli.py [--runs 15]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

APPS = {
    "metadata": {},
    "items": [
        {
            "metadata": {"name": f"app-{i}", "namespace": "argocd"},
            "spec": {
                "project": "default",
                "source": {"repoURL": "https://git.example/r.git", "path": "p", "targetRevision": "HEAD"},
                "destination": {"server": "https://kubernetes.default.svc", "namespace": f"ns{i}"},
            },
            "status": {"sync": {"status": "Synced"}, "health": {"status": "Healthy"}},
        }
        for i in range(20)
    ],
}
BODY = json.dumps(APPS).encode()


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *args: Any) -> None:
        pass


def _median_seconds(argv: list[str], runs: int) -> tuple[float, float]:
    """Median wall time and median CPU time (user + system) of the command.

    CPU time barely moves when other work shares the machine; wall time does.
    """
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    address = f"127.0.0.1:{server.server_address[1]}"
    cli = [sys.executable, "-m", "argosy"]
    _median_seconds([*cli, "--version"], 2)  # warm the file cache
    version, version_cpu = _median_seconds([*cli, "--version"], args.runs)
    app_list, app_list_cpu = _median_seconds(
        [*cli, "app", "list", "--server", address, "--plaintext", "--auth-token", "t"], args.runs
    )
    with httpx.Client(base_url=f"http://{address}") as http:
        response_times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            http.get("/api/v1/applications")
            response_times.append(time.perf_counter() - started)
    server_time = statistics.median(response_times)
    load = os.getloadavg()[0]
    print(
        f"argosy --version: median {version * 1000:.0f} ms wall, {version_cpu * 1000:.0f} ms CPU "
        "(goal <= 300 ms)"
    )
    print(
        f"argosy app list: median {app_list * 1000:.0f} ms wall, {app_list_cpu * 1000:.0f} ms CPU; "
        f"server {server_time * 1000:.1f} ms; CLI overhead {(app_list - server_time) * 1000:.0f} ms "
        "(goal <= 300 ms)"
    )
    print(f"load average during the run: {load:.1f} (wall times grow with it; CPU times do not)")
    server.shutdown()


if __name__ == "__main__":
    main()
