"""``argosy image-updater``: run the image updater, or ask which tag it would pick.

* ``argosy image-updater [--once] [--interval 2m]``: the controller process
  (Argo CD Image Updater's ``run``), sharing Argosy's settings and repository
  credentials; metrics on ``--metrics-port`` (8081, as upstream).
* ``argosy image-updater test IMAGE``: the tag the strategy picks from a real
  registry, or from ``--tags-file`` (a YAML list of ``{tag, created?, digest?}``)
  without one, to check constraints offline. ``-o json`` prints
  ``{"tag": ..., "digest": ...}`` or ``null``.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer
import yaml

from argosy.cli.client import cli_errors
from argosy.cli.commands.backend import CliError
from argosy.cli.commands.logflags import LOG_FORMAT, LOG_LEVEL, setup_logging
from argosy.imageupdater.client import RegistryError
from argosy.imageupdater.config import UpdateSettings
from argosy.imageupdater.credentials import CredentialResolver, CredentialsError
from argosy.imageupdater.reference import parse_image
from argosy.imageupdater.registries import Registries, RegistryConfigError, parse_duration
from argosy.imageupdater.scan import Scanner, selection_for
from argosy.imageupdater.strategy import SelectionError, Strategy, newest_tag
from argosy.imageupdater.tags import EPOCH, ImageTag, TagList

image_updater_app = typer.Typer(
    help="Update Applications to new image tags (Argo CD Image Updater, built in).",
    no_args_is_help=False,
    invoke_without_command=True,
)


def _registries(path: Path | None) -> Registries:
    if path is None:
        return Registries()
    try:
        return Registries.parse(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CliError(f"--registries-conf-path {path}: {exc.strerror}") from None
    except RegistryConfigError as exc:
        raise CliError(f"{path}: {exc}") from None


@image_updater_app.callback()
def run(
    ctx: typer.Context,
    namespace: str = typer.Option("argocd", "--namespace", "-n", help="Control-plane namespace."),
    kubeconfig: Path | None = typer.Option(None, "--kubeconfig", help="Kubeconfig (default: in-cluster)."),
    context: str = typer.Option("", "--context", help="Kubeconfig context."),
    once: bool = typer.Option(False, "--once", help="Run one cycle and exit (non-zero on errors)."),
    interval: str = typer.Option("2m", "--interval", help="Time between cycles (Go duration)."),
    max_concurrency: int = typer.Option(10, "--max-concurrency", min=1, help="Applications checked at once."),
    registries_conf: Path | None = typer.Option(
        None, "--registries-conf-path", help="registries.conf file (default: the ConfigMap's)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check and report, write nothing."),
    metrics_port: int = typer.Option(8081, "--metrics-port", help="Prometheus /metrics port (0: off)."),
    metrics_address: str = typer.Option("0.0.0.0", "--metrics-address", help="Address of /metrics."),
    log_level: str = LOG_LEVEL,
    log_format: str = LOG_FORMAT,
) -> None:
    """Check the images of annotated Applications (and ImageUpdater resources) and write new tags back."""
    if ctx.invoked_subcommand is not None:
        return
    from argosy.controller.bootstrap import ensure_crds
    from argosy.controller.metrics import MetricsEndpoint
    from argosy.imageupdater.crd import ImageUpdaterResources, crd_manifest
    from argosy.imageupdater.gitwrite import GitWriteBack
    from argosy.imageupdater.updater import ImageUpdater
    from argosy.kube.clients import KubeClient
    from argosy.settings.clusters import default_kubeconfig, in_cluster_config, running_in_cluster

    with cli_errors():
        setup_logging(log_level, log_format)
        try:
            seconds = parse_duration(interval)
        except ValueError as exc:
            raise CliError(f"--interval: {exc}") from None
        fixed = _registries(registries_conf) if registries_conf else None
    if kubeconfig is None and not running_in_cluster():
        kubeconfig = default_kubeconfig()
    client = KubeClient(in_cluster_config(kubeconfig, context))
    ensure_crds(client, crds=[crd_manifest()])
    updater = ImageUpdater(
        client,
        namespace,
        registries=fixed,
        max_concurrency=max_concurrency,
        git_writer=GitWriteBack(client, namespace),
        dry_run=dry_run,
    )
    ImageUpdaterResources(client, namespace).attach(updater)
    if once:
        result = updater.run_once()
        updater.close()
        for outcome in result.outcomes:
            for line in outcome.updated:
                typer.echo(f"{outcome.app}: updated {line}")
            for line in outcome.errors:
                typer.echo(f"{outcome.app}: error: {line}", err=True)
        if result.error:
            typer.echo(f"error: {result.error}", err=True)
        raise typer.Exit(1 if result.errors else 0)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    if metrics_port:
        MetricsEndpoint(updater.metrics.registry, metrics_address, metrics_port).start()
    logging.getLogger("argosy.imageupdater").info("image updater running, every %s", interval)
    updater.run(stop, seconds)
    updater.close()


def _created(value: Any, where: str) -> datetime:
    if value is None or value == "":
        return EPOCH
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise CliError(f"{where}: created {value!r} is not an RFC 3339 time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def read_tags_file(path: Path) -> TagList:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CliError(f"--tags-file {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise CliError(f"--tags-file {path}: not YAML: {exc}") from None
    if not isinstance(doc, list):
        raise CliError(f"--tags-file {path}: expected a list of {{tag, created?, digest?}}")
    tags = TagList()
    for i, entry in enumerate(doc):
        where = f"{path} item {i + 1}"
        if isinstance(entry, str):
            entry = {"tag": entry}
        if not isinstance(entry, dict) or not entry.get("tag"):
            raise CliError(f"{where}: expected a mapping with 'tag'")
        created = _created(entry.get("created"), where)
        tags.add(ImageTag(str(entry["tag"]), created, str(entry.get("digest") or "")))
    return tags


@image_updater_app.command("test")
def test(
    image: str = typer.Argument(..., help="Image, e.g. nginx or registry.example.com/team/app:tag."),
    strategy: str = typer.Option("semver", "--strategy", "--update-strategy", help="semver, newest-build..."),
    constraint: str = typer.Option("", "--constraint", "--semver-constraint", help="Version constraint."),
    allow_tags: str = typer.Option("", "--allow-tags", help="regexp:<expression> or any."),
    ignore_tags: list[str] = typer.Option([], "--ignore-tags", help="Glob of tags to ignore (repeatable)."),
    platforms: list[str] = typer.Option([], "--platforms", help="os/arch[/variant] (repeatable)."),
    credentials: str = typer.Option("", "--credentials", help="env:VAR, ext:/path (user:password)."),
    registries_conf: Path | None = typer.Option(None, "--registries-conf-path", help="registries.conf."),
    tags_file: Path | None = typer.Option(None, "--tags-file", help="Pick from this YAML list, offline."),
    output: str = typer.Option("", "--output", "-o", help="json for {tag, digest} or null."),
) -> None:
    """Print the tag the updater would pick for IMAGE."""
    with cli_errors():
        if output not in ("", "json"):
            raise CliError(f"unknown output format: {output} (use json)")
        ref = parse_image(image)
        wanted = constraint
        settings = UpdateSettings(
            update_strategy=strategy,
            allow_tags=allow_tags or None,
            ignore_tags=tuple(t for item in ignore_tags for t in item.split(",")) or None,
            pull_secret=credentials or None,
            platforms=tuple(p for item in platforms for p in item.split(",") if p) or None,
        )
        try:
            if not wanted and settings.update_strategy in ("digest",):
                wanted = ref.tag or ""
            target = ref.with_tag(wanted)
            if tags_file is not None:
                found = newest_tag(selection_for(target, settings), read_tags_file(tags_file))
            else:
                resolver = CredentialResolver(lambda ns, name: None)
                scanner = Scanner(_registries(registries_conf), resolver)
                try:
                    found = scanner.newest(target, settings).tag
                finally:
                    scanner.close()
        except (SelectionError, CredentialsError) as exc:
            raise CliError(str(exc)) from None
        except RegistryError as exc:
            raise CliError(str(exc), 2) from None
        digest = found.digest if found else ""
        if output == "json":
            typer.echo(json.dumps({"tag": found.name, "digest": digest} if found else None))
        elif found is None:
            typer.echo(f"no tag of {ref.full_name} qualifies")
        else:
            digest_mode = settings.update_strategy == Strategy.DIGEST.value
            typer.echo(ref.with_tag(found.name, digest if digest_mode else "").full_name_with_tag)
