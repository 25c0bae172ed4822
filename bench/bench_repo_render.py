"""Repo-server render costs: cold vs cached, Helm (200 objects) and a Kustomize overlay.

Not a test: prints median timings so changes to the repo service can be
compared. Servers are the test suite's loopback servers (``tests/support``).

    .venv/bin/python bench/bench_repo_render.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from argosy.repo import RenderRequest, RepoService
from argosy.settings.repositories import RepositoryStore
from support.git_server import GitHttpServer
from support.local_repos import allow_local_repositories
from support.secrets import application

HELM_TEMPLATE = """{{- range $i := until (int .Values.count) }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ $.Release.Name }}-cm-{{ $i }}
  labels: {app: {{ $.Release.Name }}, index: "{{ $i }}"}
data:
  value: {{ $.Values.payload | quote }}
{{- end }}
"""


def helm_files() -> dict[str, str | None]:
    return {
        "chart/Chart.yaml": yaml.safe_dump({"apiVersion": "v2", "name": "big", "version": "1.0.0"}),
        "chart/values.yaml": yaml.safe_dump({"count": 200, "payload": "x" * 200}),
        "chart/templates/cms.yaml": HELM_TEMPLATE,
    }


def kustomize_files() -> dict[str, str | None]:
    files: dict[str, str | None] = {}
    names = []
    for i in range(50):
        deploy = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": f"svc{i}"},
            "spec": {
                "selector": {"matchLabels": {"app": f"svc{i}"}},
                "template": {
                    "metadata": {"labels": {"app": f"svc{i}"}},
                    "spec": {"containers": [{"name": "app", "image": "nginx:1.25"}]},
                },
            },
        }
        files[f"base/svc{i}.yaml"] = yaml.safe_dump(deploy)
        names.append(f"svc{i}.yaml")
    files["base/kustomization.yaml"] = yaml.safe_dump({"resources": names})
    files["overlay/kustomization.yaml"] = yaml.safe_dump(
        {"resources": ["../base"], "namePrefix": "prod-", "commonLabels": {"env": "prod"}}
    )
    return files


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def bench(
    name: str, server: GitHttpServer, files: dict[str, str | None], source: dict[str, object], runs: int
) -> None:
    repo = server.create_repo(name)
    repo.commit(files)
    app = application({"repoURL": server.url(name), "targetRevision": "main", **source})

    def req() -> RenderRequest:
        return RenderRequest.from_application(app, repositories=RepositoryStore(), kube_version="1.36.3")

    cold, cached, disk, new_commit, ls_remote = [], [], [], [], []
    objects = 0
    for run in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            service = RepoService(Path(tmp))
            cold.append(timed(partial(service.render, req())))
            for _ in range(3):
                cached.append(timed(partial(service.render, req())))
            fresh = RepoService(Path(tmp))
            disk.append(timed(partial(fresh.render, req())))
            repo.commit({"unrelated.txt": f"run {run}"})
            new_commit.append(timed(partial(service.render, req())))
            rep = RepositoryStore().lookup(server.url(name))
            ls_remote.append(timed(partial(service.git.ls_remote, rep, RepositoryStore())))
            objects = len(service.render(req()).objects)
    print(f"\n{name}: {objects} objects, median of {runs} runs (ms)")
    rows = [
        ("cold render (clone + render)", cold),
        ("cached, same commit (ls-remote + memory hit)", cached),
        ("cached on disk, new process (ls-remote + disk hit)", disk),
        ("new commit (ls-remote + fetch + render)", new_commit),
        ("ls-remote alone", ls_remote),
    ]
    for label, values in rows:
        print(f"  {label:<52} {statistics.median(values):8.1f}")


def main() -> None:
    allow_local_repositories()  # the bench's servers are on loopback, its repositories in /tmp
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, GitHttpServer(Path(tmp)) as server:
        bench("helm-200", server, helm_files(), {"path": "chart"}, args.runs)
        bench("kustomize-overlay-50", server, kustomize_files(), {"path": "overlay"}, args.runs)


if __name__ == "__main__":
    main()
