"""``argosy admin app render``: what would Argosy apply for this Application?

Renders the Application's source(s) with the in-process repo service - no
server, no controller, and with ``file://`` or loopback repositories no
cluster either - and prints the objects. ``--show-provenance`` names the file
each object came from; ``--repo-creds-from-cluster`` reads repository Secrets,
``argocd-tls-certs-cm``, ``argocd-ssh-known-hosts-cm`` and
``kustomize.buildOptions`` from the cluster, as the controller would.
SOPS-encrypted files render with the keys of ``--key-secret``,
``--age-key-file`` or ``--gpg-home`` (default: ``$SOPS_AGE_KEY_FILE`` and
``$GNUPGHOME``, as KSOPS users have them set). It runs with the user's own
rights, so loopback and local-path repositories are allowed (cloud metadata
addresses are not): the repo server's SSRF guard protects a shared service.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer
import yaml

from argosy.repo.errors import RepoError
from argosy.repo.request import RenderRequest
from argosy.repo.result import RenderResult
from argosy.repo.service import RepoService
from argosy.repo.sops.local import local_keys, read_cluster_secret
from argosy.repo.urlpolicy import UrlPolicy
from argosy.settings.repositories import RepositorySecretError, RepositoryStore

app_app = typer.Typer(help="Offline checks of Applications (render their sources).", no_args_is_help=True)


def _load_documents(path: Path) -> list[dict[str, Any]]:
    try:
        docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    except (OSError, yaml.YAMLError) as exc:
        raise typer.BadParameter(f"{path}: {exc}") from None
    out: list[dict[str, Any]] = []
    for d in docs:
        if isinstance(d, dict) and d.get("kind") == "List":
            out += [i for i in d.get("items") or [] if isinstance(i, dict)]
        elif isinstance(d, dict):
            out.append(d)
    return out


def _from_cluster(kubeconfig: str | None, namespace: str) -> tuple[list[dict[str, Any]], str]:
    from kubernetes import client, config

    api_client = config.new_client_from_config(config_file=kubeconfig)  # type: ignore[no-untyped-call]
    core = client.CoreV1Api(api_client)
    objects: list[dict[str, Any]] = []
    for kind in ("repository", "repo-creds"):
        secrets = core.list_namespaced_secret(
            namespace, label_selector=f"argocd.argoproj.io/secret-type={kind}"
        )
        for s in api_client.sanitize_for_serialization(secrets)["items"]:
            objects.append({**s, "kind": "Secret"})
    build_options = ""
    for name in ("argocd-tls-certs-cm", "argocd-ssh-known-hosts-cm", "argocd-cm"):
        try:
            cm = api_client.sanitize_for_serialization(core.read_namespaced_config_map(name, namespace))
        except client.ApiException as exc:
            if exc.status == 404:
                continue
            raise
        if name == "argocd-cm":
            build_options = str((cm.get("data") or {}).get("kustomize.buildOptions", ""))
        else:
            objects.append({**cm, "kind": "ConfigMap"})
    return objects, build_options


def _print(result: RenderResult, output: str, provenance: bool) -> None:
    if output == "json":
        payload: Any = [o.to_dict() for o in result.objects] if provenance else result.manifests()
        typer.echo(json.dumps(payload, indent=2))
        return
    parts = []
    for o in result.objects:
        text = yaml.safe_dump(o.object, sort_keys=False)
        if provenance:
            p = o.provenance
            where = f"{p.file}" + (f" (document {p.document_index})" if p.document_index is not None else "")
            text = f"# Source: sources[{p.source_index}] {where}\n{text}"
        parts.append(text)
    typer.echo("---\n".join(parts), nl=False)


@app_app.command("render")
def render(
    file: Path = typer.Option(..., "-f", "--file", help="Application manifest (YAML or JSON)."),
    output: str = typer.Option("yaml", "-o", "--output", help="yaml or json."),
    show_provenance: bool = typer.Option(False, "--show-provenance", help="Name each object's file."),
    repo_creds_from_cluster: bool = typer.Option(
        False, "--repo-creds-from-cluster", help="Read repository Secrets and settings from the cluster."
    ),
    repo_secrets: list[Path] = typer.Option(
        [], "--repo-secrets", help="File of repository/repo-creds Secrets and cert ConfigMaps (repeatable)."
    ),
    kubeconfig: str | None = typer.Option(
        None, "--kubeconfig", help="Kubeconfig for --repo-creds-from-cluster."
    ),
    argocd_namespace: str = typer.Option("argocd", "--argocd-namespace", help="Where the Secrets live."),
    kube_version: str = typer.Option("", "--kube-version", help="Destination Kubernetes version (Helm)."),
    api_versions: list[str] = typer.Option([], "--api-versions", help="Destination API versions (Helm)."),
    kustomize_build_options: str | None = typer.Option(
        None, "--kustomize-build-options", help="argocd-cm kustomize.buildOptions."
    ),
    allow_remote_value_files: bool = typer.Option(False, "--allow-remote-value-files"),
    cache_dir: Path | None = typer.Option(None, "--cache-dir", help="Working copies and render cache."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Render even if cached."),
    key_secret: list[str] = typer.Option([], "--key-secret", help="SOPS key Secret NAMESPACE/NAME."),
    age_key_file: list[Path] = typer.Option([], "--age-key-file", help="SOPS age identities file."),
    gpg_home: str | None = typer.Option(None, "--gpg-home", help="GnuPG home with SOPS PGP keys."),
) -> None:
    """Render an Application's source(s) and print the objects Argosy would apply."""
    if output not in ("yaml", "json"):
        raise typer.BadParameter("--output must be yaml or json")
    apps = [d for d in _load_documents(file) if d.get("kind") == "Application"]
    if len(apps) != 1:
        raise typer.BadParameter(f"{file}: expected exactly one Application, found {len(apps)}")
    objects: list[dict[str, Any]] = []
    build_options = ""
    for path in repo_secrets:
        objects += _load_documents(path)
    if repo_creds_from_cluster:
        cluster_objects, build_options = _from_cluster(kubeconfig, argocd_namespace)
        objects += cluster_objects
    try:
        store = RepositoryStore.from_objects(objects)
        req = RenderRequest.from_application(
            apps[0],
            repositories=store,
            kube_version=kube_version,
            api_versions=list(api_versions),
            kustomize_build_options=build_options
            if kustomize_build_options is None
            else kustomize_build_options,
            allow_remote_value_files=allow_remote_value_files,
            no_cache=no_cache,
            sops=local_keys(key_secret, age_key_file, gpg_home, read_cluster_secret(kubeconfig)),
        )
        result = RepoService(cache_dir, url_policy=UrlPolicy.local_user()).render(req)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    except (RepoError, RepositorySecretError) as exc:
        code = getattr(exc, "code", "InvalidSecret")
        typer.echo(f"error: {code}: {exc}", err=True)
        raise typer.Exit(1) from None
    for warning in result.warnings:
        typer.echo(f"warning: {warning}", err=True)
    for s in result.sources:
        where = s.chart or s.path or "."
        typer.echo(
            f"source {s.repo_url} {where} @ {s.revision} ({s.tool or 'ref'}, {s.object_count} objects)",
            err=True,
        )
    _print(result, output, show_provenance)
    sys.stdout.flush()
