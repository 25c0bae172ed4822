"""Every case of ../shared/peer-data/appset (Argo CD's own ApplicationSet tests, as data).

Each kind of case runs through the one code path the controller uses:
generators through :func:`argosy.appset.generators.generate`, templates
through :func:`argosy.appset.render.render_application`, and so on. Kinds
this Argosy does not implement yet are skipped with the reason, so the count
of skipped cases says what is missing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest
import yaml

from argosy.appset.generators import GenerateContext, GeneratorError, generate
from argosy.appset.generators.combine import combine_string_maps, group_by_merge_keys, interpolate
from argosy.appset.names import normalize, slugify
from argosy.appset.params import with_values
from argosy.appset.render import RenderError, apply_template_patch, merge_templates, render_application
from argosy.appset.requeue import requeue_after_seconds
from argosy.appset.scm.filters import filter_pull_requests, has_branch_filter, list_repositories
from argosy.appset.scm.model import PullRequest, Repository, RepositoryNotFound, ScmError
from argosy.appset.template import Renderer, TemplateError
from support.peer_data import PEER_DATA

_FILE = PEER_DATA / "appset" / "cases.yaml"
# Reconcile kinds run in test_peer_appset_reconcile.py, scenarios live in tests/integration/appset.
_ELSEWHERE = {
    "reconcile",
    "reconcile_policy",
    "delete_finalizer",
    "validate",
    "ignore_differences",
    "scenario",
}
_ALL: list[dict[str, Any]] = yaml.safe_load(_FILE.read_text())["cases"] if _FILE.is_file() else []
_CASES = [c for c in _ALL if c["kind"] not in _ELSEWHERE]
_GENERATOR_KINDS = {
    "list",
    "clusters",
    "git_directories",
    "git_files",
    "matrix",
    "merge",
    "selector",
    "pull_request",
    "scm_provider",
}


class _Scm:
    """What the provider API returned in the case (provider-neutral), as Argo CD's mocks serve it."""

    def __init__(self, case: Mapping[str, Any]) -> None:
        self.case = case

    def _repos(self) -> list[Repository]:
        return [
            Repository(
                organization=str(r.get("organization", "")),
                repository=str(r["repository"]),
                url=str(r.get("url", "")),
                branch=str(r.get("branch", "")),
                sha=str(r.get("sha", "")),
                labels=tuple(r.get("labels") or ()),
                repository_id=r.get("repositoryId"),
                paths=tuple(r.get("paths") or ()),
            )
            for r in self.case.get("repositories") or []
        ]

    def list_repos(self) -> list[Repository]:
        seen: dict[str, Repository] = {}
        for repo in self._repos():
            seen.setdefault(repo.repository, repo)
        return list(seen.values())

    def branches(self, repo: Repository) -> list[Repository]:
        if not has_branch_filter(self.case.get("filters") or []):
            return [repo]
        return [r for r in self._repos() if r.repository == repo.repository]

    def has_path(self, repo: Repository, path: str) -> bool:
        return path in repo.paths

    def list(self) -> list[PullRequest]:
        if self.case.get("provider_error") == "repository_not_found":
            raise RepositoryNotFound("repository not found")
        return _prs(self.case)

    def scm_provider(self, spec: Mapping[str, Any]) -> _Scm:
        return self

    def pull_requests(self, spec: Mapping[str, Any]) -> _Scm:
        return self


def _prs(case: Mapping[str, Any]) -> list[PullRequest]:
    return [
        PullRequest(
            number=int(p["number"]),
            title=str(p.get("title", "")),
            branch=str(p.get("branch", "")),
            target_branch=str(p.get("targetBranch", "")),
            head_sha=str(p.get("headSHA", "")),
            author=str(p.get("author", "")),
            labels=tuple(p.get("labels") or ()),
        )
        for p in case.get("pull_requests") or []
    ]


class _Repos:
    """The repo-server's view of the cases' repositories, as given."""

    def __init__(self, repos: Mapping[str, Any]) -> None:
        self.repos = repos

    def directories(self, repo_url: str, revision: str) -> list[str]:
        return list((self.repos.get(repo_url) or {}).get("directories") or [])

    def files(self, repo_url: str, revision: str) -> list[str]:
        return list((self.repos.get(repo_url) or {}).get("files") or {})

    def read(self, repo_url: str, revision: str, path: str) -> bytes:
        return str(self.repos[repo_url]["files"][path]).encode()


def _num_equal(a: Any, b: Any) -> bool:
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_num_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_num_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return float(a) == float(b)
    return bool(a == b)


def _partial(expected: Any, actual: Any) -> bool:
    if isinstance(expected, Mapping):
        if not isinstance(actual, Mapping):
            return not expected and actual in (None, "", [])
        return all(
            (k in actual and _partial(v, actual[k])) or (v in ({}, None, []) and not actual.get(k))
            for k, v in expected.items()
        )
    return _num_equal(expected, actual)


def _canon(params: Mapping[str, Any]) -> str:
    def norm(v: Any) -> Any:
        if isinstance(v, Mapping):
            return {k: norm(x) for k, x in v.items()}
        if isinstance(v, list):
            items = [norm(x) for x in v]
            return (
                sorted(items, key=lambda i: json.dumps(i, sort_keys=True))
                if all(isinstance(i, dict) for i in items) and items and "server" in items[0]
                else items
            )
        if isinstance(v, float) and v == int(v):
            return int(v)
        return v

    return json.dumps(norm(params), sort_keys=True)


def _check_error(case: dict[str, Any], exc: Exception) -> None:
    assert case.get("error"), f"unexpected error: {exc}"
    for part in case.get("error_contains") or []:
        assert part in str(exc), f"error {exc!r} should name {part!r}"


def _ids(cases: list[dict[str, Any]]) -> list[str]:
    return [f"{c['kind']}:{c['name']}" for c in cases]


def _context(case: dict[str, Any]) -> GenerateContext:
    return GenerateContext(
        renderer=Renderer(bool(case.get("goTemplate")), case.get("goTemplateOptions") or []),
        cluster_secrets=case.get("cluster_secrets") or [],
        git=_Repos(case.get("repos") or {}),
        new_git_file_globbing=case.get("git_file_globbing") == "new",
        template_project=case.get("template_project") or "",
        app_projects=case.get("app_projects") if "app_projects" in case else None,
        scm=_Scm(case),
        scm_providers_enabled=case.get("scm_providers_enabled", True),
        allowed_scm_providers=case.get("allowed_scm_providers") or (),
    )


def _run_generator(case: dict[str, Any]) -> None:
    ctx = _context(case)
    try:
        got = [p for sets in generate(case["generator"], ctx) for p in sets.params]
    except (GeneratorError, TemplateError) as exc:
        _check_error(case, exc)
        return
    assert not case.get("error"), f"expected an error, got {got}"
    expected = case["expected"] or []
    assert len(got) == len(expected), f"got {got}"
    if case.get("partial"):
        pairs = zip(expected, got, strict=True) if case.get("ordered") else None
        if pairs is None:
            remaining = list(got)
            for e in expected:
                match = next((g for g in remaining if _partial(e, g)), None)
                assert match is not None, f"no set matches {e} in {got}"
                remaining.remove(match)
        else:
            for e, g in pairs:
                assert _partial(e, g), f"{g} does not match {e}"
        return
    if case.get("ordered"):
        assert [_canon(g) for g in got] == [_canon(e) for e in expected]
    else:
        assert sorted(_canon(g) for g in got) == sorted(_canon(e) for e in expected)


def _run_template(case: dict[str, Any]) -> None:
    if "expected_merged_template" in case:
        merged = merge_templates(case["template"], case.get("generator_template"))
        assert _partial(case["expected_merged_template"], merged), merged
        return
    renderer = Renderer(bool(case.get("goTemplate")), case.get("goTemplateOptions") or [])
    try:
        app = render_application(
            case["template"],
            case.get("params") or {},
            renderer,
            generator_template=case.get("generator_template"),
            sync_policy=case.get("syncPolicy"),
        )
    except RenderError as exc:
        _check_error(case, exc)
        return
    assert not case.get("error"), f"expected an error, got {app}"
    if "expected_finalizers" in case:
        want = case["expected_finalizers"]
        assert sorted(app["metadata"].get("finalizers") or []) == sorted(want or [])
    if "expected" in case:
        assert _partial(case["expected"], app), app


def _drop_empty(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _drop_empty(v) for k, v in value.items() if v not in (None, {}, [])}
    return value


def _run(case: dict[str, Any]) -> None:
    kind = case["kind"]
    if kind in _GENERATOR_KINDS:
        _run_generator(case)
    elif kind == "template":
        _run_template(case)
    elif kind == "values":
        renderer = Renderer(bool(case.get("goTemplate")))
        assert with_values(dict(case["params"]), case["values"], renderer) == case["expected"]
    elif kind == "normalize":
        args = case.get("args") or {}
        if case["function"] == "normalize":
            assert normalize(case["input"]) == case["expected"]
        else:
            got = slugify(case["input"], args.get("maxSize", 50), args.get("smartTruncate", True))
            assert got == case["expected"]
    elif kind == "matrix_combine":
        try:
            got = combine_string_maps(case["left"], case["right"])
        except GeneratorError as exc:
            _check_error(case, exc)
            return
        assert not case.get("error")
        assert got == case["expected"]
    elif kind == "merge_keys":
        try:
            groups = group_by_merge_keys(case["param_sets"], case["mergeKeys"])
        except GeneratorError as exc:
            _check_error(case, exc)
            for value in (case.get("duplicate") or {}).values():
                assert json.dumps(value) in str(exc)
            return
        assert not case.get("error")
        assert sorted(_canon(g) for g in groups.values()) == sorted(
            _canon(e) for e in case["expected_groups"]
        )
    elif kind == "interpolate_generator":
        renderer = Renderer(bool(case.get("goTemplate")), case.get("goTemplateOptions") or [])
        try:
            got = interpolate(case["generator"], case["params"], renderer)
        except GeneratorError as exc:
            _check_error(case, exc)
            return
        assert not case.get("error"), f"expected an error, got {got}"
        assert _partial(case["expected"], got), got
    elif kind == "template_patch":
        try:
            got = apply_template_patch(case["app"], case["templatePatch"])
        except RenderError as exc:
            _check_error(case, exc)
            return
        assert not case.get("error")
        assert _drop_empty(got) == _drop_empty(case["expected"])
    elif kind == "requeue_after":
        assert (
            requeue_after_seconds(case["generators"], case["requeue_after_env"]) == case["expected_seconds"]
        )
    elif kind == "cluster_event":
        from argosy.appset.events import appsets_for_cluster_secret

        secret = {"metadata": case["secret"]}
        got = appsets_for_cluster_secret(secret, case["applicationsets"], case["applicationset_namespaces"])
        assert got == case["expected_requeued"]
    elif kind == "pr_filter":
        try:
            got = filter_pull_requests(_prs(case), case["filters"])
        except ScmError as exc:
            _check_error(case, exc)
            return
        assert not case.get("error")
        assert [p.branch for p in got] == case["expected_branches"]
    elif kind == "scm_filter":
        scm = _Scm(case)
        try:
            repos = list_repositories(scm, case["filters"])
        except ScmError as exc:
            _check_error(case, exc)
            return
        assert not case.get("error")
        if "expected_count" in case:
            assert len(repos) == case["expected_count"]
        else:
            got = [
                {k: v for k, v in (("repository", r.repository), ("branch", r.branch)) if v} for r in repos
            ]
            want = [
                {k: v for k, v in e.items() if k in ("repository", "branch")}
                for e in case["expected_repositories"]
            ]
            assert got == want
    else:
        pytest.skip(f"{kind} cases need the ApplicationSet controller, not built yet")


@pytest.mark.parametrize("case", _CASES, ids=_ids(_CASES))
def test_peer_case(case: dict[str, Any]) -> None:
    _run(case)
