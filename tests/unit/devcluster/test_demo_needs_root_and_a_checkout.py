"""The demo says at once why it cannot run (not root, no checkout) and starts nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from argosy.cli.dev import dev_app
from argosy.devcluster import demo

pytestmark = pytest.mark.unit


def test_demo_up_as_a_user_fails_before_starting_anything(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(demo.os, "geteuid", lambda: 1000)
    monkeypatch.setenv("ARGOSY_STATE_DIR", str(tmp_path))
    result = CliRunner().invoke(dev_app, ["demo", "up"])
    assert result.exit_code == 1
    message = " ".join(result.output.split())
    assert "needs root" in message and "sudo dev/demo.sh" in message, message
    assert "argosy dev demo down" not in message  # nothing was started
    assert not any(tmp_path.iterdir())
    with pytest.raises(demo.DemoError, match="needs root"):
        demo.up(lambda _m: None)


def test_install_yaml_is_found_in_the_checkout_or_named_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = demo.install_yaml()
    assert bundle.parts[-2:] == ("manifests", "install.yaml")
    kinds = {doc["kind"] for doc in yaml.safe_load_all(bundle.read_text()) if doc}
    assert {"Deployment", "StatefulSet", "Service"} <= kinds
    monkeypatch.setattr(demo, "checkout_dir", lambda: None)
    with pytest.raises(demo.DemoError, match=r"manifests/install.yaml not found.*checkout"):
        demo.install_yaml()


def test_the_chart_runs_demo_web_v1_with_a_readiness_probe_behind_a_node_port() -> None:
    assert set(demo.CHART) == {
        "Chart.yaml",
        "values.yaml",
        "templates/deployment.yaml",
        "templates/service.yaml",
    }
    values = yaml.safe_load(demo.CHART["values.yaml"])
    assert (values["image"]["repository"], values["image"]["tag"]) == ("docker.io/argosy/demo-web", "v1")
    deployment = demo.CHART["templates/deployment.yaml"]
    assert "readinessProbe:\n            httpGet: {path: /healthz, port: http}" in deployment
    assert "containerPort: 8080" in deployment
    assert "type: NodePort" in demo.CHART["templates/service.yaml"]
