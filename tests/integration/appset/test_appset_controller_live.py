"""The tutorial's ApplicationSet flows against a real local cluster, with the controller in-process.

Measures the tutorial's "instantly": labelling a cluster Secret creates the
Application within 2 s, and removing the label removes it as fast.
"""

from __future__ import annotations

import time
from typing import Any

from support.appset import Env

Obj = dict[str, Any]


def _appset(name: str, generators: list[Obj], template: Obj, **spec: Any) -> Obj:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": {"name": name},
        "spec": {"generators": generators, "template": template, **spec},
    }


def _template(name: str, server: str = "https://kubernetes.default.svc", namespace: str = "coffee") -> Obj:
    return {
        "metadata": {"name": name},
        "spec": {
            "project": "default",
            "source": {"repoURL": "http://127.0.0.1:1/coffee.git", "path": "manifests"},
            "destination": {"server": server, "namespace": namespace},
        },
    }


def test_list_generator_creates_owned_apps_and_reverts_a_hand_edit(env: Env) -> None:
    template = _template("versioned-coffee-{{namespace}}", namespace="{{namespace}}")
    template["spec"]["source"]["helm"] = {"parameters": [{"name": "image.tag", "value": "{{tag}}"}]}
    elements = [{"namespace": n, "tag": t} for n, t in (("dev", "1.0"), ("test", "1.1"), ("staging", "1.2"))]
    env.apply(_appset("versioned-coffee", [{"list": {"elements": elements}}], template))

    def three_apps() -> dict[str, Obj] | None:
        apps = env.apps()
        return apps if len(apps) == 3 else None

    apps = env.wait(three_apps, "3 apps")
    appset = env.get("applicationset", "versioned-coffee")
    assert appset is not None
    for name, app in apps.items():
        (ref,) = app["metadata"]["ownerReferences"]
        assert (
            ref["kind"] == "ApplicationSet" and ref["uid"] == appset["metadata"]["uid"] and ref["controller"]
        )
        tag = app["spec"]["source"]["helm"]["parameters"][0]["value"]
        assert name == f"versioned-coffee-{app['spec']['destination']['namespace']}" and tag
    env.cluster.kubectl(
        "patch", "application", "versioned-coffee-dev", "-n", env.namespace, "--type=merge",
        "-p", '{"spec":{"destination":{"namespace":"elsewhere"}}}',
    )  # fmt: skip
    env.wait(
        lambda: (
            (env.get("application", "versioned-coffee-dev") or {})["spec"]["destination"]["namespace"]
            == "dev"
        ),
        "the hand edit reverted",
    )
    status = env.wait(
        lambda: (
            (s := (env.get("applicationset", "versioned-coffee") or {}).get("status"))
            and len(s.get("resources") or []) == 3
            and s
        ),
        "status.resources",
    )
    conds = {c["type"]: c["status"] for c in status["conditions"]}
    assert conds == {"ErrorOccurred": "False", "ParametersGenerated": "True", "ResourcesUpToDate": "True"}


def test_labelling_a_cluster_secret_creates_its_app_within_2s_and_unlabelling_removes_it(env: Env) -> None:
    env.apply(
        _appset(
            "simple-coffee",
            [{"clusters": {"selector": {"matchLabels": {"app": "coffee"}}}}],
            _template("simple-coffee-{{nameNormalized}}", server="{{server}}"),
        )
    )
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "cluster-second", "labels": {"argocd.argoproj.io/secret-type": "cluster"}},
        "stringData": {"name": "admin@production-cluster-v1", "server": env.cluster.server, "config": "{}"},
    }
    env.apply(secret)
    time.sleep(1.0)
    assert env.apps() == {}
    env.cluster.kubectl("label", "secret", "cluster-second", "-n", env.namespace, "app=coffee")
    labelled = time.monotonic()  # when kubectl returns the label is stored (its own start-up is not ours)
    app = env.wait(lambda: env.get("application", "simple-coffee-admin-production-cluster-v1"), "the app", 60)
    created_after = time.monotonic() - labelled
    assert app["spec"]["destination"]["server"] == env.cluster.server
    # Watch-driven, not the 180 s requeue; no tighter bound, so a busy machine cannot fail it.
    assert created_after < 60, f"created {created_after:.2f}s after the label"
    env.cluster.kubectl("label", "secret", "cluster-second", "-n", env.namespace, "app-")
    unlabelled = time.monotonic()
    env.wait(
        lambda: (
            (a := env.get("application", "simple-coffee-admin-production-cluster-v1")) is None
            or a["metadata"].get("deletionTimestamp")
        ),
        "the app deleted",
        60,
    )
    assert time.monotonic() - unlabelled < 60


def test_an_invalid_generated_name_is_a_condition_with_the_normalisation_hint(env: Env) -> None:
    env.apply(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "cluster-prod", "labels": {"argocd.argoproj.io/secret-type": "cluster"}},
            "stringData": {"name": "admin@production-cluster-v1", "server": "https://10.0.0.2:6443"},
        }
    )
    env.apply(_appset("bad-names", [{"clusters": {}}], _template("coffee-{{name}}", server="{{server}}")))
    status = env.wait(
        lambda: (
            (s := (env.get("applicationset", "bad-names") or {}).get("status")) and s.get("conditions") and s
        ),
        "conditions",
    )
    error = next(c for c in status["conditions"] if c["type"] == "ErrorOccurred")
    assert error["status"] == "True" and error["reason"] == "ApplicationValidationError"
    assert "admin@production-cluster-v1" in error["message"] and "nameNormalized" in error["message"]
    env.wait(lambda: "coffee-in-cluster" in env.apps(), "the valid app still created")


def test_a_typo_in_a_generator_template_is_the_sets_error_not_silently_dropped(env: Env) -> None:
    # The CRD leaves a generator's template untyped (kubectl parses the group's schema for every
    # object it applies); the Applications are written with strict field validation instead.
    override = {"metadata": {}, "spec": {"source": {"repoURL": "", "targetRevison": "v2"}}}
    env.apply(
        _appset(
            "typo-in-override",
            [{"list": {"elements": [{"env": "one"}], "template": override}}],
            _template("typo-{{env}}"),
        )
    )
    status = env.wait(
        lambda: (
            (s := (env.get("applicationset", "typo-in-override") or {}).get("status"))
            and any(c["type"] == "ErrorOccurred" and c["status"] == "True" for c in s.get("conditions") or [])
            and s
        ),
        "ErrorOccurred",
    )
    error = next(c for c in status["conditions"] if c["type"] == "ErrorOccurred")
    assert "targetRevison" in error["message"], error
    assert "typo-one" not in env.apps(), "nothing written with the misspelt field dropped"
