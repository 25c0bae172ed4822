"""From ``app create``/``app set``/``app unset`` flags to an Application spec, as ``argocd`` maps them.

Kept apart from the commands so the mapping (which flag writes which field,
``--sync-policy none`` removing ``automated``, ``--parameter`` becoming a Helm
parameter) is one pure, unit-tested function per verb.
"""

from __future__ import annotations

import copy
import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import typer

from argosy.cli.commands.backend import CliError, Obj
from argosy.engine.source_overrides import kustomize_image_name, set_helm_parameter, set_kustomize_image

AUTOMATED = ("automated", "automatic", "auto")
MANUAL = ("none", "manual")


@dataclass
class SourceFlags:
    """Flags shared by ``app create`` and ``app set`` (empty/None = not given)."""

    repo: str = ""
    path: str = ""
    revision: str = ""
    chart: str = ""
    dest_server: str = ""
    dest_name: str = ""
    dest_namespace: str = ""
    project: str = ""
    sync_policy: str = ""
    auto_prune: bool | None = None
    self_heal: bool | None = None
    allow_empty: bool | None = None
    sync_options: list[str] = field(default_factory=list)
    helm_sets: list[str] = field(default_factory=list)
    helm_set_strings: list[str] = field(default_factory=list)
    values: list[str] = field(default_factory=list)
    release_name: str = ""
    parameters: list[str] = field(default_factory=list)
    kustomize_images: list[str] = field(default_factory=list)
    name_prefix: str = ""
    name_suffix: str = ""
    directory_recurse: bool | None = None


def _pair(text: str, flag: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise CliError(f"{flag} expects KEY=VALUE, not {text!r}")
    return key, value


def _source(spec: Obj) -> Obj:
    if spec.get("sources") and not spec.get("source"):
        raise CliError("this application has several sources: edit it with 'kubectl edit' or 'app create -f'")
    src: Obj = spec.setdefault("source", {})
    return src


def _set_helm_params(helm: Obj, pairs: list[str], flag: str, force_string: bool) -> None:
    for text in pairs:
        key, value = _pair(text, flag)
        set_helm_parameter(helm, key, value, force_string)


def _is_helm(app: Obj, src: Obj) -> bool:
    if src.get("chart") or src.get("helm"):
        return True
    return str((app.get("status") or {}).get("sourceType") or "") == "Helm"


def apply_flags(app: Obj, flags: SourceFlags) -> Obj:
    """``app`` with every given flag applied (a new object; ``app`` is not changed)."""
    app = copy.deepcopy(app)
    spec: Obj = app.setdefault("spec", {})
    src = _source(spec)
    for key, value in (
        ("repoURL", flags.repo),
        ("path", flags.path),
        ("targetRevision", flags.revision),
        ("chart", flags.chart),
    ):
        if value:
            src[key] = value
    dest: Obj = spec.setdefault("destination", {})
    if flags.dest_server and flags.dest_name:
        raise CliError("--dest-server and --dest-name cannot both be set: a destination has one or the other")
    if flags.dest_server:
        dest.pop("name", None)
        dest["server"] = flags.dest_server
    if flags.dest_name:
        dest.pop("server", None)
        dest["name"] = flags.dest_name
    if flags.dest_namespace:
        dest["namespace"] = flags.dest_namespace
    if flags.project:
        spec["project"] = flags.project
    _apply_policy(spec, flags)
    _apply_tools(app, src, flags)
    return app


def _apply_policy(spec: Obj, flags: SourceFlags) -> None:
    policy: Obj = spec.get("syncPolicy") or {}
    if flags.sync_policy:
        choice = flags.sync_policy.lower()
        if choice in AUTOMATED:
            policy["automated"] = policy.get("automated") or {}
        elif choice in MANUAL:
            policy.pop("automated", None)
        else:
            raise CliError(f"--sync-policy must be 'automated' or 'none', not {flags.sync_policy!r}")
    for key, value in (
        ("prune", flags.auto_prune),
        ("selfHeal", flags.self_heal),
        ("allowEmpty", flags.allow_empty),
    ):
        if value is None:
            continue
        if policy.get("automated") is None:
            flag = {"prune": "--auto-prune", "selfHeal": "--self-heal", "allowEmpty": "--allow-empty"}[key]
            raise CliError(f"{flag} needs automated sync: add --sync-policy automated")
        policy["automated"][key] = value
    if flags.sync_options:
        options: list[str] = list(policy.get("syncOptions") or [])
        for opt in flags.sync_options:
            key, _ = _pair(opt, "--sync-option")
            options = [o for o in options if o.partition("=")[0] != key] + [opt]
        policy["syncOptions"] = options
    if policy:
        spec["syncPolicy"] = policy
    else:
        spec.pop("syncPolicy", None)


def _apply_tools(app: Obj, src: Obj, flags: SourceFlags) -> None:
    if flags.helm_sets or flags.helm_set_strings or flags.values or flags.release_name:
        helm: Obj = src.setdefault("helm", {})
        _set_helm_params(helm, flags.helm_sets, "--helm-set", False)
        _set_helm_params(helm, flags.helm_set_strings, "--helm-set-string", True)
        if flags.values:
            helm["valueFiles"] = list(dict.fromkeys([*(helm.get("valueFiles") or []), *flags.values]))
        if flags.release_name:
            helm["releaseName"] = flags.release_name
    if flags.parameters:
        if not _is_helm(app, src):
            raise CliError(
                "--parameter sets Helm parameters and this source is not (yet) known to be Helm: "
                "use --helm-set for a new app, or --kustomize-image for Kustomize"
            )
        _set_helm_params(src.setdefault("helm", {}), flags.parameters, "--parameter", False)
    if flags.kustomize_images or flags.name_prefix or flags.name_suffix:
        kustomize: Obj = src.setdefault("kustomize", {})
        images: list[str] = list(kustomize.get("images") or [])
        for image in flags.kustomize_images:
            images = set_kustomize_image(images, image)
        if images:
            kustomize["images"] = images
        if flags.name_prefix:
            kustomize["namePrefix"] = flags.name_prefix
        if flags.name_suffix:
            kustomize["nameSuffix"] = flags.name_suffix
    if flags.directory_recurse is not None:
        src.setdefault("directory", {})["recurse"] = flags.directory_recurse


def new_application(name: str, namespace: str, labels: dict[str, str], annotations: dict[str, str]) -> Obj:
    meta: Obj = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    if labels:
        meta["labels"] = labels
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": meta, "spec": {}}


def unset(
    app: Obj,
    *,
    parameters: list[str],
    values: list[str],
    kustomize_images: list[str],
    name_prefix: bool,
    name_suffix: bool,
    sync_options: list[str],
) -> tuple[Obj, bool]:
    """``app unset``: remove overrides; returns the new app and whether anything changed."""
    app = copy.deepcopy(app)
    spec = app.setdefault("spec", {})
    src = _source(spec)
    before = copy.deepcopy(spec)
    helm = src.get("helm") or {}
    if parameters and helm.get("parameters"):
        helm["parameters"] = [p for p in helm["parameters"] if p.get("name") not in parameters]
    if values and helm.get("valueFiles"):
        helm["valueFiles"] = [v for v in helm["valueFiles"] if v not in values]
    kustomize = src.get("kustomize") or {}
    if kustomize_images and kustomize.get("images"):
        wanted = {kustomize_image_name(i) for i in kustomize_images}
        kustomize["images"] = [i for i in kustomize["images"] if kustomize_image_name(i) not in wanted]
    if name_prefix:
        kustomize.pop("namePrefix", None)
    if name_suffix:
        kustomize.pop("nameSuffix", None)
    policy = spec.get("syncPolicy") or {}
    if sync_options and policy.get("syncOptions"):
        keys = {o.partition("=")[0] for o in sync_options}
        policy["syncOptions"] = [o for o in policy["syncOptions"] if o.partition("=")[0] not in keys]
    for holder, key in ((src, "helm"), (src, "kustomize"), (spec, "syncPolicy")):
        sub = holder.get(key)
        if isinstance(sub, dict):
            for k in [k for k, v in sub.items() if v in ([], {}, "", None)]:
                del sub[k]
            if not sub:
                del holder[key]
    return app, spec != before


def labels_of(pairs: list[str], flag: str) -> dict[str, str]:
    return dict(_pair(p, flag) for p in pairs)


def sync_policy_text(spec: Any) -> str:
    """``app list``'s SYNCPOLICY: ``Manual``, ``Auto`` or ``Auto-Prune``, as argocd."""
    automated = ((spec or {}).get("syncPolicy") or {}).get("automated")
    if automated is None:
        return "Manual"
    return "Auto-Prune" if automated.get("prune") else "Auto"


def _flag(name: str, annotation: Any, default: Any, *decls: str, help: str) -> inspect.Parameter:
    return inspect.Parameter(
        name,
        inspect.Parameter.KEYWORD_ONLY,
        default=typer.Option(default, *decls, help=help),
        annotation=annotation,
    )


#: The flags ``app create`` and ``app set`` share (Argo CD's ``AddAppFlags``), named as the
#: :class:`SourceFlags` fields they fill. Declared once, so the two verbs cannot drift.
APP_FLAGS: tuple[inspect.Parameter, ...] = (
    _flag("repo", str, "", "--repo", help="Repository URL."),
    _flag("path", str, "", "--path", help="Path in the repository."),
    _flag("revision", str, "", "--revision", help="Target revision (branch, tag, commit)."),
    _flag("chart", str, "", "--helm-chart", help="Helm chart (Helm repository sources)."),
    _flag("dest_server", str, "", "--dest-server", help="Destination cluster URL."),
    _flag("dest_name", str, "", "--dest-name", help="Destination cluster name."),
    _flag("dest_namespace", str, "", "--dest-namespace", help="Destination namespace."),
    _flag("project", str, "", "--project", help="AppProject (default: default)."),
    _flag("sync_policy", str, "", "--sync-policy", help="automated or none."),
    _flag("auto_prune", bool | None, None, "--auto-prune/--no-auto-prune", help="Prune when auto-syncing."),
    _flag("self_heal", bool | None, None, "--self-heal/--no-self-heal", help="Undo drift when auto-syncing."),
    _flag(
        "allow_empty", bool | None, None, "--allow-empty/--no-allow-empty", help="Auto-sync to no resources."
    ),
    _flag("sync_options", list[str], [], "--sync-option", help="Sync option, e.g. CreateNamespace=true."),
    _flag(
        "parameters", list[str], [], "-p", "--parameter", help="Helm parameter override, e.g. image.tag=v2."
    ),
    _flag("helm_sets", list[str], [], "--helm-set", help="Helm parameter key=value."),
    _flag("helm_set_strings", list[str], [], "--helm-set-string", help="Helm string parameter key=value."),
    _flag("values", list[str], [], "--values", help="Helm values file (in the repository)."),
    _flag("release_name", str, "", "--release-name", help="Helm release name."),
    _flag("kustomize_images", list[str], [], "--kustomize-image", help="Kustomize image override."),
    _flag("name_prefix", str, "", "--nameprefix", help="Kustomize namePrefix."),
    _flag("name_suffix", str, "", "--namesuffix", help="Kustomize nameSuffix."),
    _flag("directory_recurse", bool | None, None, "--directory-recurse", help="Read subdirectories."),
)

Command = TypeVar("Command", bound=Callable[..., None])


def with_app_flags(command: Command) -> Command:
    """Give ``command`` the :data:`APP_FLAGS`; it receives them as ``flags: SourceFlags``."""
    signature = inspect.signature(command, eval_str=True)
    own = [p for p in signature.parameters.values() if p.name != "flags"]

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        given = {p.name: kwargs.pop(p.name) for p in APP_FLAGS}
        command(*args, flags=SourceFlags(**given), **kwargs)

    wrapper.__signature__ = signature.replace(parameters=[*own, *APP_FLAGS])  # type: ignore[attr-defined]
    return cast(Command, wrapper)
