"""An Application whose only change is its ``operation`` is reconciled without a new render.

An auto-sync sets ``operation`` and the end of the sync clears it: each change reached the
status workers as "the app changed", so every synced app was rendered twice more, of an
unchanged spec. A change of spec, annotations (a refresh), labels, finalizers or deletion
still renders anew.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from argosy.controller.apps import AppWatch
from argosy.kube.clients import KubeClient
from argosy.settings.clusters import ClusterConfig

Obj = dict[str, Any]


def app() -> Obj:
    return {
        "metadata": {"name": "web", "namespace": "argocd", "resourceVersion": "1"},
        "spec": {"source": {"repoURL": "https://git.example/web", "path": "."}},
        "status": {"sync": {"status": "OutOfSync"}},
    }


def watch() -> tuple[AppWatch, list[str], list[str]]:
    fresh: list[str] = []
    reusing: list[str] = []
    client = KubeClient(ClusterConfig(server="https://127.0.0.1:6443", name="cp", kubeconfig=None))
    return AppWatch(client, ["argocd"], fresh.append, reusing.append), fresh, reusing


def changed(change: Any) -> tuple[list[str], list[str]]:
    w, fresh, reusing = watch()
    old = app()
    new = copy.deepcopy(old)
    change(new)
    w._changed(old, new)
    return fresh, reusing


def test_an_operation_set_or_cleared_reuses_the_render() -> None:
    assert changed(lambda a: a.update(operation={"sync": {"revision": "abc"}})) == ([], ["argocd/web"])
    w, fresh, reusing = watch()
    with_op = dict(app(), operation={"sync": {}})
    w._changed(with_op, app())
    assert (fresh, reusing) == ([], ["argocd/web"])


def test_a_terminate_request_reuses_the_render() -> None:
    def terminate(a: Obj) -> None:
        a["status"]["operationState"] = {"phase": "Terminating"}

    assert changed(terminate) == ([], ["argocd/web"])


@pytest.mark.parametrize(
    "change",
    [
        lambda a: a["spec"]["source"].update(path="other"),
        lambda a: a["metadata"].update(annotations={"argocd.argoproj.io/refresh": "normal"}),
        lambda a: a["metadata"].update(labels={"team": "x"}),
        lambda a: a["metadata"].update(finalizers=["resources-finalizer.argocd.argoproj.io"]),
        lambda a: a["metadata"].update(deletionTimestamp="2026-12-04T00:00:00Z"),
        lambda a: (a["metadata"].update(labels={"t": "x"}), a.update(operation={"sync": {}})),
    ],
)
def test_other_changes_render_anew(change: Any) -> None:
    assert changed(change) == (["argocd/web"], [])


def test_a_status_write_alone_reconciles_nothing() -> None:
    assert changed(lambda a: a["status"].update(sync={"status": "Synced"})) == ([], [])
