"""ignoreDifferences jq expressions that never end or fill memory are stopped.

Hostile input: ``def f: f; f`` used to hang a comparison (and the controller
worker running it) for good. The expressions now run in the bounded worker
pool: an overrun is a ComparisonError naming the rule and the expression, the
app is not judged OutOfSync, and the next comparison runs on a fresh worker.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from argosy.appset.plan import plan
from argosy.appstate.pipeline import AppState, ComparisonFailed
from argosy.appstate.settings import ControllerSettings
from argosy.cli.main import app as cli
from argosy.engine.diff import DiffConfig, IgnoreRuleError, IgnoreRuleLimitError, diff, rules_from_application
from argosy.engine.keys import ResourceKey
from argosy.repo import RenderRequest, RenderResult
from argosy.repo.result import RenderedObject
from argosy.sandbox.jq_pool import BoundedJq, JqPool
from argosy.settings.clusters import ClusterConfig

ENDLESS = "def f: f; f"
TIMEOUT = 0.5
Obj = dict[str, Any]


@pytest.fixture(scope="module")
def pool() -> Iterator[JqPool]:
    jq_pool = JqPool(size=1)
    yield jq_pool
    jq_pool.close()


def _config_map(name: str, replicas: int = 2) -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "web"},
        "spec": {"replicas": replicas, "template": {"spec": {"containers": [{"name": "c", "image": "i"}]}}},
    }


def test_an_endless_expression_stops_at_the_timeout_and_the_next_one_runs(pool: JqPool) -> None:
    rules = [{"group": "apps", "kind": "Deployment", "jqPathExpressions": [ENDLESS]}]
    config = DiffConfig.build({}, rules, "web", jq=BoundedJq(pool, TIMEOUT))
    replaced = pool.replaced
    started = time.monotonic()
    with pytest.raises(IgnoreRuleLimitError) as caught:
        diff(_config_map("a"), _config_map("a", 3), config)
    took = time.monotonic() - started
    message = str(caught.value)
    assert "Application 'web' spec.ignoreDifferences[0]" in message
    assert f"{ENDLESS!r} did not finish within 0.5 s" in message
    assert took < TIMEOUT + 5, f"stopping took {took:.1f} s"
    assert pool.replaced == replaced + 1, "the stuck worker is killed and replaced"
    fine = DiffConfig.build(
        {}, [{"kind": "Deployment", "group": "apps", "jqPathExpressions": [".spec.replicas"]}],
        jq=BoundedJq(pool, TIMEOUT),
    )  # fmt: skip
    assert not diff(_config_map("a"), _config_map("a", 3), fine).modified


def test_a_known_overrun_fails_at_once_instead_of_costing_the_timeout_again(pool: JqPool) -> None:
    runner = BoundedJq(pool, TIMEOUT)
    doc = _config_map("again")
    with pytest.raises(Exception, match="did not finish"):
        runner.delete_paths([ENDLESS], doc)
    started = time.monotonic()
    with pytest.raises(Exception, match="did not finish"):
        runner.delete_paths([ENDLESS], doc)
    assert time.monotonic() - started < TIMEOUT / 2


@pytest.mark.parametrize(
    "expression",
    ['("x" * 1e9) as $s | .spec', "[range(1e9)] as $all | .spec", "[limit(1e9; repeat(.))] | .spec"],
)
def test_an_expression_that_fills_memory_is_stopped(pool: JqPool, expression: str) -> None:
    started = time.monotonic()
    with pytest.raises(Exception, match=r"memory limit of 512 MiB|did not finish within") as caught:
        pool.run([".metadata.labels", expression], _config_map("big"), TIMEOUT)
    assert expression in str(caught.value), "the message names the expression that overran, not the first"
    assert time.monotonic() - started < TIMEOUT + 5
    after = pool.run([".spec.replicas"], _config_map("after"), TIMEOUT)
    assert "replicas" not in after["spec"], "a fresh worker serves the next request"


def test_results_of_unchanged_objects_come_from_the_cache_as_fresh_copies(pool: JqPool) -> None:
    doc = _config_map("cached")
    first = pool.run([".spec.replicas"], doc, TIMEOUT)
    assert "replicas" not in first["spec"] and doc["spec"]["replicas"] == 2
    first["spec"]["mutated"] = True  # callers edit results in place
    hits = pool.hits
    again = pool.run([".spec.replicas"], doc, TIMEOUT)
    assert pool.hits == hits + 1
    assert "mutated" not in again["spec"] and "replicas" not in again["spec"]


def test_a_worker_killed_between_requests_is_replaced_without_blaming_the_expression(pool: JqPool) -> None:
    pool.run([".spec"], _config_map("warm"), TIMEOUT)
    idle = pool._idle.queue[-1]
    os.kill(idle.proc.pid, signal.SIGKILL)
    idle.proc.wait()
    assert pool.run([".spec"], _config_map("after-kill"), TIMEOUT) == {
        k: v for k, v in _config_map("after-kill").items() if k != "spec"
    }


def test_an_overlong_expression_is_refused_when_the_rule_is_read() -> None:
    with pytest.raises(IgnoreRuleError, match="longer than 4096 characters"):
        rules_from_application([{"kind": "Deployment", "jqPathExpressions": [".a" + " | .a" * 2000]}], "web")


# ------------------------------------------------------------------ the controller's comparison
class _Reader:
    def __init__(self, params: Mapping[str, str]) -> None:
        self.params = dict(params)

    def namespace(self) -> str:
        return "argocd"

    def secrets(self, secret_type: str) -> list[Obj]:
        return []

    def configmap_data(self, name: str) -> dict[str, str]:
        return self.params if name == "argocd-cmd-params-cm" else {}

    def project(self, name: str) -> Mapping[str, Any] | None:
        spec = {"sourceRepos": ["*"], "destinations": [{"server": "*", "namespace": "*"}]}
        return {"metadata": {"name": name, "namespace": "argocd"}, "spec": spec}

    def secret(self, name: str) -> Obj | None:
        return None


class _Renderer:
    def render(self, req: RenderRequest) -> RenderResult:
        return RenderResult(objects=[RenderedObject(_config_map("web"))])


class _Live:
    def __init__(self) -> None:
        obj = _config_map("web", replicas=5)  # drift in the field the rule is meant to ignore
        obj["metadata"]["labels"] = {"app.kubernetes.io/instance": "web"}
        self.objects = {ResourceKey.of(obj): obj}

    def connection_error(self) -> str:
        return ""

    def server_version(self) -> str:
        return "1.30"

    def api_versions(self) -> list[str]:
        return ["apps/v1", "v1"]

    def is_namespaced(self, group: str, kind: str) -> bool | None:
        return True

    def owned_by(self, instance: str) -> dict[ResourceKey, Obj]:
        return dict(self.objects)

    def get(self, key: ResourceKey) -> Obj | None:
        return self.objects.get(key)

    def predict(self, desired: Obj, live: Obj) -> Obj | None:
        return None

    def unowned_in(self, namespace: str) -> list[Obj]:
        return []


def _app(expression: str) -> Obj:
    return {
        "metadata": {"name": "web", "namespace": "argocd"},
        "spec": {
            "project": "default",
            "source": {"repoURL": "https://git.example/r.git", "path": "web", "targetRevision": "HEAD"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "web"},
            "ignoreDifferences": [{"group": "apps", "kind": "Deployment", "jqPathExpressions": [expression]}],
        },
    }


def test_the_controller_reports_a_comparison_error_and_keeps_comparing_other_apps() -> None:
    params = {"controller.ignore.normalizer.jq.timeout": "500ms"}
    settings = ControllerSettings.from_configmap_data({}, params=params)
    assert settings.jq_timeout_seconds == 0.5
    live = _Live()
    state = AppState(_Reader(params), _Renderer(), ClusterConfig(server="https://kubernetes.default.svc"),
                     lambda cluster: live)  # fmt: skip
    started = time.monotonic()
    with pytest.raises(ComparisonFailed) as caught:
        state.prepare(_app(ENDLESS), settings)
    assert caught.value.type == "ComparisonError", "sync status Unknown: nothing OutOfSync, nothing pruned"
    assert "spec.ignoreDifferences[0]" in caught.value.message and ENDLESS in caught.value.message
    assert "did not finish within 0.5 s" in caught.value.message
    assert time.monotonic() - started < 10
    snapshot = state.prepare(_app(".spec.replicas"), settings)
    assert snapshot.comparison.sync_status == "Synced", "the same worker pool serves the next app"


def test_an_appset_leaves_an_app_alone_when_its_ignore_rule_overruns(pool: JqPool) -> None:
    appset = {
        "metadata": {"name": "set", "uid": "u1"},
        "spec": {"ignoreApplicationDifferences": [{"jqPathExpressions": [ENDLESS]}]},
    }
    live = {"metadata": {"name": "a", "namespace": "argocd"}, "spec": {"project": "old"}}
    wanted = {"metadata": {"name": "a", "namespace": "argocd"}, "spec": {"project": "new"}}
    steps = plan(appset, [wanted], [live], jq=BoundedJq(pool, TIMEOUT))
    assert steps.update == [] and steps.unchanged == ["a"]
    assert ENDLESS in steps.errors[0] and "spec.ignoreApplicationDifferences[0]" in steps.errors[0]


def test_the_offline_check_stops_an_endless_rule(tmp_path: Path) -> None:
    (tmp_path / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: argocd-cm}\ndata:\n"
        "  resource.customizations.ignoreDifferences.apps_Deployment: |\n"
        f"    jqPathExpressions: ['{ENDLESS}']\n"
    )
    (tmp_path / "obj.yaml").write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n")
    started = time.monotonic()
    result = CliRunner().invoke(
        cli,
        ["admin", "settings", "resource-overrides", "ignore-differences", str(tmp_path / "obj.yaml"),
         "--argocd-cm-path", str(tmp_path / "cm.yaml")],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "did not finish within 1 s" in result.output and ENDLESS in result.output
    assert time.monotonic() - started < 15


def test_the_api_server_refuses_an_application_whose_jq_rule_cannot_be_compiled() -> None:
    from argosy.server.apps import validate_app
    from argosy.server.errors import APIError

    app = _app(".spec | ( ")
    app["spec"]["ignoreDifferences"].append({"kind": "Deployment", "jqPathExpressions": [".a" * 2100]})
    for bad in (0, 1):
        wanted = {
            **app,
            "spec": {**app["spec"], "ignoreDifferences": [app["spec"]["ignoreDifferences"][bad]]},
        }
        with pytest.raises(APIError) as caught:
            validate_app(None, wanted)  # type: ignore[arg-type]  # refused before the context is read
        assert "spec.ignoreDifferences[0]" in str(caught.value) and "InvalidSpecError" in str(caught.value)
