"""Several repo-server replicas behind one client: one repository sticks to one replica (its
caches stay warm), repositories spread over replicas, and a replica that is down is skipped."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from argosy.repo import HttpRepoClient, RenderRequest, RepoService
from argosy.repo.errors import UnreachableError
from argosy.repo.server import create_app
from support.git_server import GitHttpServer
from support.naming import unique
from support.secrets import application

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"


class Replica:
    def __init__(self, root: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.service = RepoService(root)
        self.server = uvicorn.Server(
            uvicorn.Config(create_app(self.service), host="127.0.0.1", port=self.port, log_level="error")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def replicas(tmp_path: Path) -> Iterator[list[Replica]]:
    started = [Replica(tmp_path / f"rs{i}") for i in range(3)]
    yield started
    for r in started:
        r.stop()


def test_one_repository_sticks_to_one_replica_and_fails_over(
    git_server: GitHttpServer, replicas: list[Replica]
) -> None:
    client = HttpRepoClient(",".join(r.url for r in replicas))
    urls = []
    for i in range(6):
        name = unique(f"rep{i}")
        git_server.create_repo(name).commit({"app/cm.yaml": CM.format(name=f"cm{i}")})
        urls.append(git_server.url(name))
    for _ in range(3):
        for url in urls:
            client.render(RenderRequest.from_application(application({"repoURL": url, "path": "app"})))
    renders = [r.service.renders for r in replicas]
    assert sum(renders) == 6, f"each repository rendered once, on one replica: {renders}"
    assert sum(1 for n in renders if n) >= 2, "repositories spread over the replicas"

    preferred = client.order(urls[0])[0]
    down = next(r for r in replicas if r.url == preferred)
    down.stop()
    result = client.render(RenderRequest.from_application(application({"repoURL": urls[0], "path": "app"})))
    assert result.manifests()[0]["metadata"]["name"] == "cm0", "another replica served it"
    for r in replicas:
        r.stop()
    with pytest.raises(UnreachableError, match="repo server"):
        client.render(RenderRequest.from_application(application({"repoURL": urls[0], "path": "app"})))
    client.close()
