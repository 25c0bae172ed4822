"""The client config file: location, Argo CD's layout, contexts, file mode."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import yaml

from argosy.cli.commands.config import ClientConfig, ServerEntry, config_path


def test_location_follows_argosy_config_then_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ARGOSY_CONFIG", str(tmp_path / "explicit"))
    assert config_path() == tmp_path / "explicit"
    assert config_path(str(tmp_path / "flag")) == tmp_path / "flag"
    monkeypatch.delenv("ARGOSY_CONFIG")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert config_path() == tmp_path / "xdg" / "argosy" / "config"


def test_round_trip_in_argocd_layout_with_private_mode(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "config"
    cfg = ClientConfig.load(path)
    cfg.upsert("prod:443", ServerEntry("prod:443", insecure=True), "tok-1")
    cfg.upsert("kubernetes", ServerEntry("kubernetes", core=True, namespace="argocd"), "")
    cfg.save()
    raw = yaml.safe_load(path.read_text())
    assert raw["current-context"] == "kubernetes"
    assert {"name": "prod:443", "server": "prod:443", "user": "prod:443"} in raw["contexts"]
    assert {"server": "prod:443", "insecure": True} in raw["servers"]
    assert {"name": "prod:443", "auth-token": "tok-1"} in raw["users"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = ClientConfig.load(path)
    entry, token = again.resolve("prod:443")  # type: ignore[misc]
    assert entry.insecure and token == "tok-1"
    core, _ = again.resolve()  # type: ignore[misc]
    assert core.core and core.namespace == "argocd"


def test_removing_the_current_context_falls_back_to_another(tmp_path: Path) -> None:
    cfg = ClientConfig.load(tmp_path / "c")
    cfg.upsert("a", ServerEntry("a"), "1")
    cfg.upsert("b", ServerEntry("b"), "2")
    cfg.remove("b")
    assert cfg.current_context == "a"
    assert "b" not in cfg.servers and "b" not in cfg.users
    assert cfg.resolve("b") is None


def test_a_broken_file_says_how_to_recover(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text("- just\n- a list\n")
    with pytest.raises(ValueError, match="fix or delete"):
        ClientConfig.load(path)


def test_the_global_config_flag_reaches_login_logout_and_context(tmp_path: Path) -> None:
    """``argosy --config F context`` reads F, as ``argocd --config F ...`` does: the session
    commands once took only their own ``--config``, so a global one was silently ignored and the
    login landed in the default file."""
    from typer.testing import CliRunner

    from argosy.cli.main import app

    path = tmp_path / "elsewhere"
    cfg = ClientConfig.load(path)
    cfg.upsert("only-in-this-file:443", ServerEntry("only-in-this-file:443"), "t")
    cfg.save()
    runner = CliRunner()
    listed = runner.invoke(app, ["--config", str(path), "context"], env={"ARGOSY_CONFIG": None})
    assert "only-in-this-file:443" in listed.output, listed.output
    own = runner.invoke(app, ["context", "--config", str(path)], env={"ARGOSY_CONFIG": None})
    assert "only-in-this-file:443" in own.output, own.output
    other = runner.invoke(app, ["--config", str(tmp_path / "empty"), "context"])
    assert "only-in-this-file" not in other.output
