"""Argo CD's end-to-end ApplicationSet scenarios (peer data ``scenario`` cases) on a real cluster.

Each step applies the ApplicationSet (or deletes it with foreground cascading, as
Argo CD's e2e tests do) and waits until the expected Applications, absences and
conditions hold. The application controller runs too, so the
``resources-finalizer`` of deleted apps is handled as in a real installation.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from support.appset import Env
from support.controller import RunningController
from support.peer_data import PEER_DATA

Obj = dict[str, Any]
_FILE = PEER_DATA / "appset" / "cases.yaml"
_CASES = (
    [c for c in yaml.safe_load(_FILE.read_text())["cases"] if c["kind"] == "scenario"]
    if _FILE.is_file()
    else []
)


def _in_namespace(value: Any, namespace: str) -> Any:
    """The case's objects, with Argo CD's ``argocd`` namespace replaced by the test's own."""
    if isinstance(value, dict):
        return {
            k: (namespace if k == "namespace" and v == "argocd" else _in_namespace(v, namespace))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_in_namespace(v, namespace) for v in value]
    return value


def _field(obj: Any, path: str) -> Any:
    for part in path.split("."):
        obj = obj.get(part) if isinstance(obj, dict) else None
    return obj if obj not in ({}, [], "") else None


def _problems(env: Env, step: Obj, fields: list[str]) -> list[str]:
    apps = env.apps()
    out = []
    for want in step.get("expect_apps") or []:
        name = want["metadata"]["name"]
        got = apps.get(name)
        if got is None or got["metadata"].get("deletionTimestamp"):
            out.append(f"app {name} missing")
            continue
        out += [
            f"{name}: {f} is {_field(got, f)!r}, want {_field(want, f)!r}"
            for f in fields
            if _field(got, f) != _field(want, f)
        ]
    out += [f"app {name} still exists" for name in step.get("expect_absent") or [] if name in apps]
    if step.get("expect_conditions") is not None:
        appset = env.get("applicationset", step["applicationset"]["metadata"]["name"]) or {}
        got_conds = [
            {k: c.get(k) for k in ("type", "status", "reason", "message")}
            for c in (appset.get("status") or {}).get("conditions") or []
        ]
        if got_conds != step["expect_conditions"]:
            out.append(f"conditions {got_conds} != {step['expect_conditions']}")
    return out


@pytest.mark.parametrize("case", _CASES, ids=[c["name"] for c in _CASES])
def test_peer_scenario(case: Obj, env: Env, tmp_path: Path) -> None:
    app_controller = RunningController(env.cluster, tmp_path / "app-repo-cache", namespace=env.namespace)
    app_controller.start()
    try:
        for project in case.get("app_projects") or []:
            env.apply(
                {
                    "apiVersion": "argoproj.io/v1alpha1",
                    "kind": "AppProject",
                    "metadata": {"name": project},
                    "spec": {"sourceRepos": ["*"], "destinations": [{"server": "*", "namespace": "*"}]},
                }
            )
        name = ""
        for step in case["steps"]:
            step = _in_namespace(step, env.namespace)
            if step.get("delete_applicationset"):
                # Where the policy keeps the apps, delete in the background: the set's finalizer then
                # holds it until its apps are released. In the foreground, Kubernetes' garbage collector
                # deletes dependents at once and races the release (as it does with Argo CD).
                cascade = "background" if step.get("expect_apps") else "foreground"
                env.cluster.kubectl(
                    "delete",
                    "applicationset",
                    name,
                    "-n",
                    env.namespace,
                    f"--cascade={cascade}",
                    "--wait=false",
                )
                step = {**step, "applicationset": {"metadata": {"name": name}}}
            else:
                name = step["applicationset"]["metadata"]["name"]
                env.apply(
                    {"apiVersion": "argoproj.io/v1alpha1", "kind": "ApplicationSet", **step["applicationset"]}
                )
            deadline = time.monotonic() + 30
            problems = _problems(env, step, case["compare_fields"])
            while problems and time.monotonic() < deadline:
                time.sleep(0.2)
                problems = _problems(env, step, case["compare_fields"])
            assert not problems, f"step {step['action']!r}: {problems}"
    finally:
        if app_controller.controller is not None:
            app_controller.controller.stop()
