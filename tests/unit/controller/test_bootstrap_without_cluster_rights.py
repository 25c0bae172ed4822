"""Installed from a bundle, a component may not be allowed to apply CRDs, read its namespace or
create the default project (namespace-install.yaml grants nothing cluster-wide; the
ApplicationSet controller and image updater get no CRD rights at all): bootstrap then skips
that step instead of stopping the component. Other errors still stop it."""

from __future__ import annotations

from typing import Any, cast

import pytest

from argosy.controller.bootstrap import bootstrap, ensure_crds
from argosy.kube.clients import KubeClient
from argosy.kube.errors import KubeApiError


class _Refusing:
    """Answers every request with ``status``, recording what was asked."""

    def __init__(self, status: int) -> None:
        self.status = status
        self.asked: list[tuple[str, str]] = []

    def request(self, method: str, path: str, **_: Any) -> Any:
        self.asked.append((method, path))
        raise KubeApiError(cluster="in-cluster", message=f"{method} {path}", status=self.status)


def test_forbidden_bootstrap_steps_are_skipped() -> None:
    client = _Refusing(403)
    bootstrap(cast(KubeClient, client), "argocd")
    assert [m for m, _ in client.asked] == ["GET", "GET", "POST"]  # one CRD read, the namespace, the project
    assert client.asked[-1][1].endswith("/namespaces/argocd/appprojects")


def test_other_errors_still_stop_the_component() -> None:
    with pytest.raises(KubeApiError) as caught:
        ensure_crds(cast(KubeClient, _Refusing(500)))
    assert caught.value.status == 500
