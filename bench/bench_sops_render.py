"""SOPS render cost: a kustomization whose KSOPS generator lists 100 encrypted Secrets.

Compares Argosy's native expansion (a full repo-service render, uncached:
checkout, kustomize build with Argosy's plugin, decryption with pyrage) with
the exec plugin through the same service (``sops.ksops: exec``, the compiled
ksops plugin) and with the exec plugin alone (``kustomize build
--enable-alpha-plugins --enable-exec`` and ``SOPS_AGE_KEY_FILE``, no Git, no
service). Not a test: prints median timings.

    .venv/bin/python bench/bench_sops_render.py [--runs 5] [--secrets 100]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from argosy.devcluster import build
from argosy.repo import RenderRequest, RepoService
from support.gitrepo import GitRepo
from support.local_repos import allow_local_repositories
from support.secrets import application
from support.sops import SopsKeys

SECRET = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s{i}\nstringData:\n  password: pw-{i}\n"


def _median(fn: object, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    allow_local_repositories()  # the bench's servers are on loopback, its repositories in /tmp
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--secrets", type=int, default=100)
    args = parser.parse_args()
    build.ensure((build.KUSTOMIZE, build.SOPS, build.KSOPS))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        keys = SopsKeys(root / "keys")
        files: dict[str, str | None] = {}
        for i in range(args.secrets):
            files[f"app/s{i}.enc.yaml"] = keys.encrypt(
                "s.yaml", SECRET.format(i=i), "--encrypted-regex", "^stringData$"
            )
        listing = "".join(f"  - ./s{i}.enc.yaml\n" for i in range(args.secrets))
        files["app/gen.yaml"] = (
            f"apiVersion: viaduct.ai/v1\nkind: ksops\nmetadata: {{name: gen}}\nfiles:\n{listing}"
        )
        files["app/kustomization.yaml"] = "generators: [./gen.yaml]\n"
        repo = GitRepo(root / "bench.git")
        repo.commit(files)

        service = RepoService(root / "repo-server", timeout=120)
        app = application({"repoURL": f"file://{repo.bare}", "path": "app", "targetRevision": "HEAD"})
        request = RenderRequest.from_application(app, sops=keys.age_material(), no_cache=True)
        assert len(service.render(request).objects) == args.secrets
        native = _median(lambda: service.render(request), args.runs)

        home = root / "plugins" / "viaduct.ai" / "v1" / "ksops"
        home.mkdir(parents=True)
        (home / "ksops").symlink_to(build.binary("ksops"))
        env = {
            **os.environ,
            "KUSTOMIZE_PLUGIN_HOME": str(root / "plugins"),
            "SOPS_AGE_KEY_FILE": str(keys.age_file),
        }
        command = [
            str(build.binary("kustomize")),
            "build",
            "--enable-alpha-plugins",
            "--enable-exec",
            str(repo.work / "app"),
        ]

        def exec_plugin() -> None:
            subprocess.run(command, env=env, check=True, capture_output=True)

        exec_ms = _median(exec_plugin, args.runs)
        bindir = root / "bin"
        bindir.mkdir()
        (bindir / "ksops").symlink_to(build.binary("ksops"))
        os.environ["PATH"] = f"{bindir}:{os.environ['PATH']}"
        exec_material = keys.age_material()
        exec_material.ksops_mode = "exec"
        via_service = RenderRequest.from_application(
            app,
            sops=exec_material,
            no_cache=True,
            kustomize_build_options="--enable-alpha-plugins --enable-exec",
        )
        assert len(service.render(via_service).objects) == args.secrets
        service_exec = _median(lambda: service.render(via_service), args.runs)
        keys.close()
    print(f"{args.secrets} encrypted Secrets, median of {args.runs}:")
    print(f"  native (Argosy render, uncached)      {native:7.0f} ms")
    print(f"  exec plugin via Argosy (sops.ksops)   {service_exec:7.0f} ms")
    print(f"  exec plugin alone (kustomize + ksops) {exec_ms:7.0f} ms")
    print(f"  native / exec via Argosy              {native / service_exec:7.2f}x")


if __name__ == "__main__":
    main()
