"""``argosy admin proj windows check``: the offline answer users debug windows with."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from argosy.cli.main import app

runner = CliRunner()

SEED_WINDOWS: list[dict[str, Any]] = [
    {"kind": "allow", "schedule": "0 6 * * *", "duration": "6h", "timeZone": "Europe/Paris",
     "applications": ["*"]},
    {"kind": "deny", "schedule": "* * * * *", "duration": "1h", "applications": ["night-*"],
     "manualSync": True},
]  # fmt: skip


def write_project(tmp_path: Path, windows: list[dict[str, Any]]) -> Path:
    project = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": "time-coffee", "namespace": "argosy"},
        "spec": {"sourceRepos": ["*"], "syncWindows": windows},
    }
    path = tmp_path / "project.yaml"
    path.write_text(yaml.safe_dump(project))
    return path


def check(*args: str) -> Any:
    return runner.invoke(app, ["admin", "proj", "windows", "check", *args])


def test_inside_the_paris_window(tmp_path: Path) -> None:
    path = write_project(tmp_path, SEED_WINDOWS)
    result = check("-f", str(path), "--at", "2026-11-25T09:30:00+01:00", "--app", "web", "-o", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [(w["id"], w["active"], w["matches"]) for w in data["windows"]] == [
        (0, True, True),
        (1, True, False),
    ]
    assert data["automated"]["allowed"] is True and data["automated"]["decidingWindows"] == [0]
    assert data["manual"]["allowed"] is True
    assert data["nextAutomatedSync"] == "2026-11-25T09:30:00+01:00"


def test_outside_the_window_names_it_and_the_next_opening(tmp_path: Path) -> None:
    path = write_project(tmp_path, SEED_WINDOWS)
    result = check("-f", str(path), "--at", "2026-11-25T19:30:00+01:00", "--app", "web")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Project time-coffee at 2026-11-25T19:30:00+01:00 (application web)"
    assert lines[1].split() == [
        "ID",
        "KIND",
        "SCHEDULE",
        "DURATION",
        "TIMEZONE",
        "MANUALSYNC",
        "MATCHES",
        "ACTIVE",
    ]
    assert lines[2].split()[-3:] == ["no", "yes", "no"]
    assert lines[3].split()[-3:] == ["yes", "no", "yes"]
    assert "Automated sync: BLOCKED" in result.output and "allow window #0" in result.output
    assert "Manual sync:    BLOCKED" in result.output
    assert "Next automated sync allowed at 2026-11-26T06:00:00+01:00" in result.output


def test_manual_sync_through_the_deny_window(tmp_path: Path) -> None:
    path = write_project(tmp_path, SEED_WINDOWS)
    at = "2026-11-25T09:30:00+01:00"
    result = check(
        "-f", str(path), "--at", at, "--app", "night-batch", "--cluster", "in-cluster", "-o", "json"
    )
    data = json.loads(result.output)
    assert data["automated"] == {
        "allowed": False,
        "reason": "automated sync blocked by active deny window #1 ('* * * * *' for 1h, UTC) "
        "(automated syncs wait until it closes)",
        "decidingWindows": [1],
        "error": None,
    }
    assert data["manual"]["allowed"] is True and data["manual"]["decidingWindows"] == [1]
    assert data["application"] == {"application": "night-batch", "namespace": "", "cluster": "in-cluster"}


def test_without_app_every_window_counts(tmp_path: Path) -> None:
    path = write_project(tmp_path, SEED_WINDOWS)
    data = json.loads(check("-f", str(path), "--at", "2026-11-25T09:30:00Z", "-o", "json").output)
    assert data["application"] is None
    assert data["automated"]["allowed"] is False and data["automated"]["decidingWindows"] == [1]


def test_no_windows(tmp_path: Path) -> None:
    result = check("-f", str(write_project(tmp_path, [])), "--at", "2026-11-25T09:30:00Z")
    assert result.exit_code == 0
    assert "No sync windows: syncs are always allowed." in result.output
    assert "Automated sync: ALLOWED" in result.output


def test_invalid_window_exits_1_and_explains(tmp_path: Path) -> None:
    bad = [{**SEED_WINDOWS[0], "timeZone": "Europe/Pariss"}]
    result = check("-f", str(write_project(tmp_path, bad)), "--at", "2026-11-25T09:30:00Z")
    assert result.exit_code == 1
    assert "error: spec.syncWindows[0].timeZone" in result.output
    assert "Automated sync: BLOCKED - automated sync blocked: invalid sync windows" in result.output


@pytest.mark.parametrize(
    ("at", "message"),
    [("2026-11-25T09:30:00", "has no UTC offset"), ("tomorrow", "is not an ISO 8601 time")],
)
def test_bad_at(tmp_path: Path, at: str, message: str) -> None:
    result = check("-f", str(write_project(tmp_path, SEED_WINDOWS)), "--at", at)
    assert result.exit_code == 2
    assert message in result.output


def test_file_without_project(tmp_path: Path) -> None:
    path = tmp_path / "app.yaml"
    path.write_text("kind: Application\nmetadata: {name: x}\n")
    result = check("-f", str(path), "--at", "2026-11-25T09:30:00Z")
    assert result.exit_code == 2 and "no AppProject found" in result.output
    missing = check("-f", str(tmp_path / "nope.yaml"), "--at", "2026-11-25T09:30:00Z")
    assert missing.exit_code == 2 and "cannot read" in missing.output
