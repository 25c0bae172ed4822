"""AppProject rules: what an application may deploy, from where, and to where.

Every Application belongs to an AppProject (``spec.project``, ``default`` when
empty). The project is a fence, checked when the API creates or updates an
application **and** at every reconcile and sync, so editing a project takes
effect on running applications too:

* ``sourceRepos``: repository URL globs the sources may come from (``*`` allows
  all; ``!pattern`` refuses matching URLs whatever else matches);
* ``destinations``: ``server`` / ``name`` / ``namespace`` globs the application
  and each namespaced resource may land in (``!`` negation works here too);
* ``sourceNamespaces``: namespaces other than the control plane's where
  Applications of this project may live (globs, or ``/regex/``);
* ``clusterResourceWhitelist`` / ``clusterResourceBlacklist``: cluster-scoped
  kinds. **None is allowed unless whitelisted**, so a project cannot create a
  ClusterRole by accident;
* ``namespaceResourceWhitelist`` / ``namespaceResourceBlacklist``: namespaced
  kinds (all allowed when no whitelist is set);
* ``permitOnlyProjectScopedClusters``: only clusters whose Secret names this
  project may be used;
* ``destinationServiceAccounts``: the service account a sync impersonates for
  a destination.

A broken rule becomes a :class:`Violation` naming the rule; the controller turns
violations into an ``InvalidSpecError`` condition and applies nothing.

Everything here is pure and works on plain Kubernetes JSON dicts.
"""

from __future__ import annotations

import copy
import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from argosy.engine.glob import glob_match
from argosy.engine.regex import RegexError, compile_go
from argosy.engine.regex import error_of as regex_error_of
from argosy.settings.clusters import normalize_server
from argosy.settings.repositories import normalize_git_url

__all__ = [
    "CONDITION_TYPE",
    "DEFAULT_PROJECT_NAME",
    "DEFAULT_PROJECT_SPEC",
    "IN_CLUSTER_NAME",
    "IN_CLUSTER_SERVER",
    "ProjectError",
    "Violation",
    "app_sources",
    "check_application",
    "check_resource",
    "check_resources",
    "default_project",
    "glob_match",
    "is_app_namespace_permitted",
    "is_destination_permitted",
    "is_group_kind_permitted",
    "is_source_permitted",
    "normalize_git_url",
    "service_account_for",
    "validate_project",
]

CONDITION_TYPE = "InvalidSpecError"
DEFAULT_PROJECT_NAME = "default"
IN_CLUSTER_SERVER = "https://kubernetes.default.svc"
IN_CLUSTER_NAME = "in-cluster"

# Argo CD creates the default project this permissive; it may be edited, not deleted.
DEFAULT_PROJECT_SPEC: Mapping[str, Any] = {
    "sourceRepos": ["*"],
    "destinations": [{"server": "*", "namespace": "*"}],
    "clusterResourceWhitelist": [{"group": "*", "kind": "*"}],
}


def default_project(namespace: str) -> dict[str, Any]:
    """The ``default`` AppProject object to create when it is missing."""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": DEFAULT_PROJECT_NAME, "namespace": namespace},
        "spec": copy.deepcopy(dict(DEFAULT_PROJECT_SPEC)),
    }


class ProjectError(ValueError):
    """A project rule cannot give an answer (for example no service account for a destination)."""


@dataclass(frozen=True)
class Violation:
    """One broken project rule: ``rule`` is the spec field, ``message`` says what to change."""

    rule: str
    message: str

    def __str__(self) -> str:
        return self.message


# ---------------------------------------------------------------------------
# Individual rules
# ---------------------------------------------------------------------------


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _spec(project: Mapping[str, Any]) -> Mapping[str, Any]:
    return _map(project.get("spec"))


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def _name(project: Mapping[str, Any]) -> str:
    meta = project.get("metadata")
    return str(meta.get("name") or "") if isinstance(meta, Mapping) else ""


def is_source_permitted(spec: Mapping[str, Any], repo_url: str) -> bool:
    """A repo is allowed when some ``sourceRepos`` entry matches and no ``!`` entry excludes it."""
    source = normalize_git_url(repo_url)
    any_matched = False
    for entry in _list(spec.get("sourceRepos")):
        text = str(entry)
        deny = text.startswith("!")
        pattern = ("!" if deny else "") + normalize_git_url(text.removeprefix("!"))
        if glob_match(pattern, source, separators="/", allow_negation=True):
            any_matched = True
        elif deny:
            return False
    return any_matched


def _destination_matched(spec: Mapping[str, Any], server: str, name: str, namespace: str) -> bool:
    any_matched, deny_hit = False, False
    for item in _list(spec.get("destinations")):
        if not isinstance(item, Mapping):
            continue
        p_server, p_name, p_ns = (str(item.get(k) or "") for k in ("server", "name", "namespace"))
        name_ok = bool(name) and glob_match(p_name, name, allow_negation=True)
        server_ok = bool(server) and glob_match(p_server, server, allow_negation=True)
        ns_ok = glob_match(p_ns, namespace, allow_negation=True)
        if (server_ok or name_ok) and ns_ok:
            any_matched = True
        elif (
            (not name_ok and p_name.startswith("!"))
            or (not server_ok and p_server.startswith("!"))
            or (not ns_ok and p_ns.startswith("!"))
        ):
            deny_hit = True
    return any_matched and not deny_hit


def _project_clusters(project_name: str, clusters: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [c for c in clusters if str(c.get("project") or "") == project_name]


def is_destination_permitted(
    project: Mapping[str, Any],
    *,
    server: str,
    name: str,
    namespace: str,
    clusters: Iterable[Mapping[str, Any]] = (),
) -> bool:
    """Whether (server or name) + namespace is an allowed destination of the project.

    Pass both ``server`` and ``name`` of the resolved cluster when known: a
    project may list destinations by either. ``clusters`` (``name``, ``server``,
    ``project`` of each registered cluster) is used by
    ``permitOnlyProjectScopedClusters``.
    """
    spec = _spec(project)
    if not _destination_matched(spec, server, name, namespace):
        return False
    if spec.get("permitOnlyProjectScopedClusters") is True:
        scoped = _project_clusters(_name(project), clusters)
        return any((name and c.get("name") == name) or (server and c.get("server") == server) for c in scoped)
    return True


def is_app_namespace_permitted(
    spec: Mapping[str, Any], app_namespace: str, control_plane_namespace: str
) -> bool:
    """Applications in the control plane's namespace always may; elsewhere ``sourceNamespaces`` decides."""
    if not app_namespace or app_namespace == control_plane_namespace:
        return True
    for entry in _list(spec.get("sourceNamespaces")):
        text = str(entry)
        regex = _namespace_regex(text)
        if regex is not None:
            if regex.search(app_namespace):
                return True
        elif not _is_regex_entry(text) and glob_match(text, app_namespace):
            return True
    return False


def _is_regex_entry(text: str) -> bool:
    """``/…/`` entries of ``sourceNamespaces`` are regular expressions, as in Argo CD."""
    return len(text) > 1 and text.startswith("/") and text.endswith("/")


def _namespace_regex(text: str) -> Any:
    """The compiled ``/…/`` entry (Go's linear-time RE2); None for a glob entry or an invalid
    expression (which matches nothing, and :func:`validate_project` reports)."""
    if not _is_regex_entry(text):
        return None
    try:
        return compile_go(text[1:-1])
    except RegexError:
        return None


def _kind_in_list(group: str, kind: str, name: str, items: Sequence[Any]) -> bool:
    for item in items:
        if not isinstance(item, Mapping):
            continue
        p_group = _go_path_pattern(str(item.get("group") or ""))
        p_kind = _go_path_pattern(str(item.get("kind") or ""))
        p_name = str(item.get("name") or "")
        if not (fnmatch.fnmatchcase(kind, p_kind) and fnmatch.fnmatchcase(group, p_group)):
            continue
        if p_name and not fnmatch.fnmatchcase(name, _go_path_pattern(p_name)):
            continue
        return True
    return False


def _go_path_pattern(pattern: str) -> str:
    """Go's filepath.Match spells a negated class ``[^...]``; fnmatch spells it ``[!...]``."""
    return pattern.replace("[^", "[!")


def is_group_kind_permitted(
    spec: Mapping[str, Any], group: str, kind: str, *, namespaced: bool, name: str = ""
) -> bool:
    """Whitelists and blacklists by API group and kind (and optional resource name).

    Cluster-scoped kinds need a non-empty ``clusterResourceWhitelist`` entry.
    Namespaced kinds are all allowed while ``namespaceResourceWhitelist`` is
    absent; an explicitly empty whitelist allows none (as in Argo CD).
    """
    if namespaced:
        white = spec.get("namespaceResourceWhitelist")
        black = _list(spec.get("namespaceResourceBlacklist"))
        whitelisted = white is None or _kind_in_list(group, kind, name, _list(white))
    else:
        whitelisted = _kind_in_list(group, kind, name, _list(spec.get("clusterResourceWhitelist")))
        black = _list(spec.get("clusterResourceBlacklist"))
    return whitelisted and not _kind_in_list(group, kind, name, black)


def service_account_for(spec: Mapping[str, Any], *, server: str, namespace: str, app_namespace: str) -> str:
    """The user a sync impersonates for a destination, from ``destinationServiceAccounts``.

    The first entry whose ``server`` and ``namespace`` globs match wins. A bare
    ``defaultServiceAccount`` lives in the destination namespace (the
    Application's namespace when the destination has none); ``ns:name`` names
    another namespace. Raises :class:`ProjectError` when nothing matches: the
    sync must not fall back to the controller's own, broader identity.
    """
    sa_namespace = namespace or app_namespace
    for item in _list(spec.get("destinationServiceAccounts")):
        if not isinstance(item, Mapping):
            continue
        if not (
            glob_match(str(item.get("server") or ""), server, allow_negation=True)
            and glob_match(str(item.get("namespace") or ""), namespace, allow_negation=True)
        ):
            continue
        account = str(item.get("defaultServiceAccount") or "").strip()
        parts = account.split(":")
        if not account or len(parts) > 2 or not all(parts):
            raise ProjectError(
                f"destinationServiceAccounts entry for server '{item.get('server')}' and namespace "
                f"'{item.get('namespace')}' has defaultServiceAccount '{account}'; "
                "set it to NAME or NAMESPACE:NAME"
            )
        if len(parts) == 2:
            return f"system:serviceaccount:{parts[0]}:{parts[1]}"
        return f"system:serviceaccount:{sa_namespace}:{account}"
    raise ProjectError(
        f"no destinationServiceAccounts entry matches server '{server}' and namespace '{sa_namespace}'; "
        "add one to the AppProject or disable impersonation"
    )


# ---------------------------------------------------------------------------
# Whole-object checks
# ---------------------------------------------------------------------------


def app_sources(app: Mapping[str, Any]) -> list[str]:
    """Every repository URL an Application reads from (``source``, ``sources``, hydrator)."""
    spec = _map(app.get("spec"))
    urls: list[str] = []
    hydrator = spec.get("sourceHydrator")
    if isinstance(hydrator, Mapping) and isinstance(hydrator.get("drySource"), Mapping):
        urls.append(str(hydrator["drySource"].get("repoURL") or ""))
    sources = _list(spec.get("sources"))
    if not urls and sources:
        urls.extend(str(s.get("repoURL") or "") for s in sources if isinstance(s, Mapping))
    elif not urls and isinstance(spec.get("source"), Mapping):
        urls.append(str(spec["source"].get("repoURL") or ""))
    return urls


def _resolve_destination(dest: Mapping[str, Any], clusters: Sequence[Mapping[str, Any]]) -> tuple[str, str]:
    """The (server, name) a destination denotes, in the form the controller resolves it by
    (:func:`~argosy.settings.clusters.normalize_server`), so no spelling of a cluster's URL
    slips past a rule written for the cluster."""
    server, name = normalize_server(str(dest.get("server") or "")), str(dest.get("name") or "")
    for cluster in clusters:
        if name and cluster.get("name") == name and not server:
            server = normalize_server(str(cluster.get("server") or ""))
        elif server and normalize_server(str(cluster.get("server") or "")) == server and not name:
            name = str(cluster.get("name") or "")
    if name == IN_CLUSTER_NAME and not server:
        server = IN_CLUSTER_SERVER
    if server == IN_CLUSTER_SERVER and not name:
        name = IN_CLUSTER_NAME
    return server, name


def check_application(
    project: Mapping[str, Any],
    app: Mapping[str, Any],
    *,
    control_plane_namespace: str,
    clusters: Sequence[Mapping[str, Any]] = (),
) -> list[Violation]:
    """All project rules an Application breaks (empty when it may be reconciled and synced)."""
    proj = _name(project) or "?"
    spec = _spec(project)
    meta = _map(app.get("metadata"))
    app_name, app_ns = str(meta.get("name") or "?"), str(meta.get("namespace") or "")
    out: list[Violation] = []
    if not is_app_namespace_permitted(spec, app_ns, control_plane_namespace):
        out.append(
            Violation(
                "sourceNamespaces",
                f"application '{app_name}' in namespace '{app_ns}' is not allowed to use project '{proj}': "
                f"add '{app_ns}' to spec.sourceNamespaces of the AppProject",
            )
        )
    urls = app_sources(app)
    if not urls:
        out.append(Violation("source", f"application '{app_name}' has no spec.source.repoURL"))
    for url in urls:
        if not is_source_permitted(spec, url):
            out.append(
                Violation(
                    "sourceRepos",
                    f"application repo {url} is not permitted in project '{proj}': "
                    "add it to spec.sourceRepos of the AppProject",
                )
            )
    dest = _map(_map(app.get("spec")).get("destination"))
    if dest.get("server") and dest.get("name"):
        out.append(
            Violation(
                "destination",
                f"application '{app_name}' sets both spec.destination.server and spec.destination.name: "
                "keep one",
            )
        )
        return out
    server, name = _resolve_destination(dest, clusters)
    namespace = str(dest.get("namespace") or "")
    if not server and not name:
        out.append(
            Violation(
                "destination",
                f"application '{app_name}' needs spec.destination.server or spec.destination.name",
            )
        )
    elif not is_destination_permitted(
        project, server=server, name=name, namespace=namespace, clusters=clusters
    ):
        rule = "destinations"
        if spec.get("permitOnlyProjectScopedClusters") is True and _destination_matched(
            spec, server, name, namespace
        ):
            rule = "permitOnlyProjectScopedClusters"
        out.append(
            Violation(
                rule,
                f"application destination server '{server}' (name '{name}') and namespace '{namespace}' "
                f"do not match any of the allowed destinations in project '{proj}' ({rule})",
            )
        )
    return out


def _group_of(obj: Mapping[str, Any]) -> str:
    api_version = str(obj.get("apiVersion") or "")
    return api_version.rpartition("/")[0] if "/" in api_version else ""


def check_resource(
    project: Mapping[str, Any],
    obj: Mapping[str, Any],
    *,
    namespaced: bool,
    destination: Mapping[str, Any],
    clusters: Sequence[Mapping[str, Any]] = (),
) -> Violation | None:
    """Whether one object (desired or live) may be managed by an application of the project.

    ``namespaced`` comes from discovery; ``destination`` is the application's
    ``spec.destination`` (its namespace is used when the object has none).
    """
    proj = _name(project) or "?"
    spec = _spec(project)
    group, kind = _group_of(obj), str(obj.get("kind") or "")
    meta = _map(obj.get("metadata"))
    obj_name = str(meta.get("name") or "")
    shown = f"{group or 'core'}/{kind} '{obj_name}'"
    if not is_group_kind_permitted(spec, group, kind, namespaced=namespaced, name=obj_name):
        scope = "namespace" if namespaced else "cluster"
        white = spec.get(f"{scope}ResourceWhitelist")
        # Only namespaced kinds are allowed by an absent whitelist; cluster-scoped ones never are.
        listed_white = (namespaced and white is None) or _kind_in_list(group, kind, obj_name, _list(white))
        rule = f"{scope}ResourceWhitelist" if not listed_white else f"{scope}ResourceBlacklist"
        fix = (
            f"add {{group: '{group}', kind: '{kind}'}} to spec.{rule}"
            if rule.endswith("Whitelist")
            else f"remove it from spec.{rule}"
        )
        return Violation(
            rule, f"resource {shown} is not permitted in project '{proj}': {fix} of the AppProject"
        )
    if namespaced:
        server, name = _resolve_destination(destination, clusters)
        namespace = str(meta.get("namespace") or destination.get("namespace") or "")
        if not is_destination_permitted(
            project, server=server, name=name, namespace=namespace, clusters=clusters
        ):
            return Violation(
                "destinations",
                f"resource {shown} goes to namespace '{namespace}' of '{server or name}', "
                f"which is not an allowed destination in project '{proj}'",
            )
    return None


def check_resources(
    project: Mapping[str, Any],
    objects: Iterable[tuple[Mapping[str, Any], bool]],
    *,
    destination: Mapping[str, Any],
    clusters: Sequence[Mapping[str, Any]] = (),
) -> list[Violation]:
    """:func:`check_resource` over ``(object, namespaced)`` pairs; all violations, in order."""
    out: list[Violation] = []
    for obj, namespaced in objects:
        violation = check_resource(
            project, obj, namespaced=namespaced, destination=destination, clusters=clusters
        )
        if violation is not None:
            out.append(violation)
    return out


def validate_project(project: Mapping[str, Any]) -> list[Violation]:
    """Spec mistakes Argo CD refuses at create/update: ``!*`` patterns and duplicate entries.

    Sync windows are checked by ``argosy.engine.syncwindows`` (``SyncWindows.violations``).
    """
    spec = _spec(project)
    out: list[Violation] = []
    seen: set[str] = set()
    for i, dest in enumerate(_list(spec.get("destinations"))):
        if not isinstance(dest, Mapping):
            out.append(Violation("destinations", f"spec.destinations[{i}] must be an object"))
            continue
        for key in ("server", "name", "namespace"):
            if dest.get(key) == "!*":
                out.append(
                    Violation("destinations", f"spec.destinations[{i}].{key} '!*' would match nothing")
                )
        server, name = str(dest.get("server") or ""), str(dest.get("name") or "")
        key = f"{server or name}/{dest.get('namespace') or ''}"
        if key in seen:
            out.append(Violation("destinations", f"destination '{key}' is listed twice in spec.destinations"))
        seen.add(key)
    repos: set[str] = set()
    for repo in _list(spec.get("sourceRepos")):
        if repo == "!*":
            out.append(Violation("sourceRepos", "sourceRepos entry '!*' would refuse every repository"))
        if repo in repos:
            out.append(Violation("sourceRepos", f"source repository '{repo}' is listed twice"))
        repos.add(str(repo))
    namespaces: set[str] = set()
    for i, ns in enumerate(_list(spec.get("sourceNamespaces"))):
        if ns in namespaces:
            out.append(Violation("sourceNamespaces", f"source namespace '{ns}' is listed twice"))
        namespaces.add(str(ns))
        text = str(ns)
        if _is_regex_entry(text):
            reason = regex_error_of(text[1:-1])
            if reason:
                out.append(
                    Violation(
                        "sourceNamespaces",
                        f"spec.sourceNamespaces[{i}] {text!r} is not a valid regular expression ({reason}); "
                        "it would match no namespace",
                    )
                )
    accounts: set[str] = set()
    for i, item in enumerate(_list(spec.get("destinationServiceAccounts"))):
        if not isinstance(item, Mapping):
            continue
        key = f"{item.get('server') or ''}/{item.get('namespace') or ''}"
        if "!*" in (item.get("server"), item.get("namespace")):
            out.append(
                Violation("destinationServiceAccounts", f"spec.destinationServiceAccounts[{i}] uses '!*'")
            )
        if key in accounts:
            out.append(
                Violation("destinationServiceAccounts", f"destinationServiceAccount '{key}' is listed twice")
            )
        accounts.add(key)
    return out
