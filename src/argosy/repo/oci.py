"""Helm charts in OCI registries (``oci://registry/path`` or ``enableOCI: true``).

Versions are the registry's tags (``/v2/<name>/tags/list``), resolved like
chart repository versions (exact or semver range); the chart is pulled with
the real ``helm pull``. Registry credentials reach helm through a private
``HELM_REGISTRY_CONFIG`` file, never through ``--password`` arguments.
The registry host (and the token realm its challenge names) pass the process's
URL policy before any request.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import tempfile
from pathlib import Path

import httpx

from argosy.repo import execute, tools
from argosy.repo.credentials import http_auth, private_dir
from argosy.repo.errors import HelmRepoError, RevisionNotFoundError, UnreachableError
from argosy.repo.redact import redact
from argosy.repo.renderers.helm import helm_env
from argosy.repo.semverrange import best_match, parse_version
from argosy.repo.urlpolicy import UrlPolicy
from argosy.settings.repositories import Repository, RepositoryStore

_CHALLENGE = re.compile(r'(\w+)="([^"]*)"')


def reference(repo: Repository, chart: str) -> tuple[str, str]:
    """(registry host, repository path of the chart)."""
    base = repo.url.removeprefix("oci://").rstrip("/")
    host, _, path = base.partition("/")
    return host, f"{path}/{chart}".strip("/")


def _tags(
    repo: Repository, store: RepositoryStore, chart: str, timeout: float | None, policy: UrlPolicy
) -> list[str]:
    host, name = reference(repo, chart)
    scheme = "http" if repo.insecure_oci_force_http else "https"
    url = f"{scheme}://{host}/v2/{name}/tags/list"
    hooks = {"request": [policy.httpx_hook("OCI registry")]}
    with http_auth(repo, store) as auth:
        try:
            with httpx.Client(
                verify=auth.verify, cert=auth.cert, timeout=timeout or 90.0, event_hooks=hooks
            ) as client:
                resp = client.get(url, auth=auth.auth)
                challenge = resp.headers.get("www-authenticate", "")
                if resp.status_code == 401 and challenge.lower().startswith("bearer"):
                    params = dict(_CHALLENGE.findall(challenge))
                    token_resp = client.get(
                        params.get("realm", ""),
                        params={k: v for k, v in params.items() if k in ("service", "scope")},
                        auth=auth.auth,
                    )
                    token = (token_resp.json() or {}).get("token") if token_resp.status_code == 200 else None
                    if token:
                        resp = client.get(url, headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError as exc:
            raise UnreachableError(redact(f"GET {url}: {exc}", auth.secrets)) from None
    if resp.status_code in (401, 403):
        raise HelmRepoError(f"GET {url}: {resp.status_code} (check the registry credentials)")
    if resp.status_code == 404:
        raise RevisionNotFoundError(f"chart {chart!r} not found in registry {host}")
    if resp.status_code >= 400:
        raise HelmRepoError(f"GET {url}: HTTP {resp.status_code}")
    return [str(t) for t in (resp.json() or {}).get("tags") or []]


def resolve(
    repo: Repository,
    store: RepositoryStore,
    chart: str,
    revision: str,
    timeout: float | None,
    policy: UrlPolicy,
) -> str:
    wanted = revision.strip()
    if wanted and parse_version(wanted) is not None:
        return wanted
    tags = [t.replace("_", "+") for t in _tags(repo, store, chart, timeout, policy)]
    best = best_match(wanted if wanted not in ("", "*", "latest") else ">=0.0.0", tags)
    if best is None:
        raise RevisionNotFoundError(
            f"chart {chart!r}: no tag matches {revision!r} (tags: {', '.join(tags[:20])})"
        )
    return best


def pull(
    repo: Repository,
    store: RepositoryStore,
    chart: str,
    version: str,
    root: Path,
    helm_home: Path,
    policy: UrlPolicy,
    timeout: float | None = None,
) -> Path:
    """``helm pull`` the chart once into ``root``; returns the unpacked chart directory."""
    host, name = reference(repo, chart)
    target = root / re.sub(r"[^A-Za-z0-9_.-]", "_", f"{host}_{name}_{version}")
    if (target / chart / "Chart.yaml").is_file():
        return target / chart
    policy.check(f"oci://{host}/{name}", "OCI registry")
    root.mkdir(parents=True, exist_ok=True)
    with private_dir() as tmp, http_auth(repo, store) as auth:
        config = tmp / "registry.json"
        auths = {}
        if auth.auth:
            token = base64.b64encode(f"{auth.auth[0]}:{auth.auth[1]}".encode()).decode()
            auths[host] = {"auth": token}
        config.write_text(json.dumps({"auths": auths}), encoding="utf-8")
        config.chmod(0o600)
        args = [tools.find("helm"), "pull", f"oci://{host}/{name}", "--version", version, "--untar"]
        unpack = Path(tempfile.mkdtemp(dir=root, prefix=".pull-"))
        args += ["--untardir", str(unpack)]
        if repo.insecure_oci_force_http:
            args.append("--plain-http")
        if auth.verify is False:
            args.append("--insecure-skip-tls-verify")
        elif isinstance(auth.verify, str):
            args += ["--ca-file", auth.verify]
        env = helm_env(helm_home, {"HELM_REGISTRY_CONFIG": str(config)}, tmp / "config")
        try:
            result = execute.run(args, env=env, secrets=auth.secrets, timeout=timeout)
            if result.returncode != 0:
                raise HelmRepoError(
                    f"helm pull oci://{host}/{name} {version} failed: {result.stderr.strip()}"
                )
            if not (unpack / chart / "Chart.yaml").is_file():
                raise HelmRepoError(
                    f"helm pull oci://{host}/{name} {version}: no {chart}/Chart.yaml in the archive"
                )
            shutil.rmtree(target, ignore_errors=True)
            unpack.rename(target)
        finally:
            shutil.rmtree(unpack, ignore_errors=True)
    return target / chart
