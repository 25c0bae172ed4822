"""``argosy applicationset-controller``: run the ApplicationSet controller until interrupted."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path

import typer

from argosy.appset.controller import AppSetController, AppSetSettings
from argosy.cli.client import cli_errors
from argosy.cli.commands.logflags import LOG_FORMAT, LOG_LEVEL, setup_logging
from argosy.controller.bootstrap import bootstrap
from argosy.kube.clients import KubeClient
from argosy.kube.errors import KubeApiError
from argosy.repo import RepoService
from argosy.settings.clusters import default_kubeconfig, in_cluster_config, running_in_cluster

CMD_PARAMS_CM = "argocd-cmd-params-cm"


def _cmd_params(client: KubeClient, namespace: str) -> dict[str, str]:
    try:
        cm = client.request(
            "GET", f"/api/v1/namespaces/{namespace}/configmaps/{CMD_PARAMS_CM}", kind="ConfigMap"
        )
    except KubeApiError as exc:
        if exc.not_found:
            return {}
        raise
    return {str(k): str(v) for k, v in ((cm or {}).get("data") or {}).items()}


def applicationset_controller(
    namespace: str = typer.Option("argocd", "--namespace", "-n", help="Control-plane namespace."),
    kubeconfig: Path | None = typer.Option(
        None, "--kubeconfig", help="Kubeconfig (default: in-cluster or ~/.kube/config)."
    ),
    context: str = typer.Option("", "--context", help="Kubeconfig context."),
    applicationset_namespaces: str = typer.Option(
        "",
        "--applicationset-namespaces",
        help="Other namespaces (comma separated, globs allowed) whose ApplicationSets are handled "
        "(default: applicationsetcontroller.namespaces of argocd-cmd-params-cm).",
    ),
    policy: str = typer.Option(
        "",
        "--policy",
        help="create-only|create-update|create-delete|sync for every set "
        "(default: applicationsetcontroller.policy, else sync).",
    ),
    enable_policy_override: bool | None = typer.Option(
        None,
        "--enable-policy-override/--disable-policy-override",
        help="Let each set's syncPolicy.applicationsSync apply (default: on unless --policy is set).",
    ),
    log_level: str = LOG_LEVEL,
    log_format: str = LOG_FORMAT,
) -> None:
    """Generate Applications from ApplicationSets and keep them up to date."""
    with cli_errors():
        setup_logging(log_level, log_format)
    if kubeconfig is None and not running_in_cluster():
        kubeconfig = default_kubeconfig()
    client = KubeClient(in_cluster_config(kubeconfig, context))
    bootstrap(client, namespace)  # CRDs, namespace, default project: an empty cluster just works
    params = _cmd_params(client, namespace)
    namespaces = applicationset_namespaces or params.get("applicationsetcontroller.namespaces", "")
    policy = policy or params.get("applicationsetcontroller.policy", "")
    if enable_policy_override is None:
        raw = params.get("applicationsetcontroller.enable.policy.override", "")
        enable_policy_override = raw == "true" if raw else not policy
    settings = AppSetSettings(
        namespace=namespace,
        namespaces=[n.strip() for n in namespaces.split(",") if n.strip()],
        policy=policy,
        allow_policy_override=enable_policy_override,
        scm_providers_enabled=params.get("applicationsetcontroller.enable.scm.providers", "true") != "false",
        allowed_scm_providers=[
            p.strip()
            for p in params.get("applicationsetcontroller.allowed.scm.providers", "").split(",")
            if p.strip()
        ],
    )
    ctl = AppSetController(client, settings, repo=RepoService())
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    ctl.start()
    logging.getLogger("argosy.appset").info("applicationset controller running in namespace %s", namespace)
    stop.wait()
    ctl.stop()
