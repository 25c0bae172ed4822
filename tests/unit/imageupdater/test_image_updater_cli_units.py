"""``argosy image-updater test --tags-file``: the peer ``newest_tag`` cases through the CLI, offline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from argosy.cli.main import app
from support.peer_data import PEER_DATA

runner = CliRunner()


def _cases() -> list[Any]:
    path = PEER_DATA / "imageupdater" / "cases.yaml"
    if not path.is_file():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"peer data {path} not present"))]
    cases = [c for c in yaml.safe_load(path.read_text())["cases"] if c["kind"] == "newest_tag"]
    return [pytest.param(c, id=c["note"].rsplit("/", 1)[-1][:60]) for c in cases]


def tags_file(tmp_path: Path, case: dict[str, Any]) -> Path:
    dates = case.get("tag_dates") or {}
    digests = case.get("tag_digests") or {}
    entries = []
    for tag in case["tags"]:
        entry: dict[str, Any] = {"tag": tag}
        if tag in dates:
            entry["created"] = dates[tag]
        if tag in digests:
            entry["digest"] = digests[tag]
        entries.append(entry)
    path = tmp_path / "tags.yaml"
    path.write_text(yaml.safe_dump(entries))
    return path


@pytest.mark.parametrize("case", _cases())
def test_peer_newest_tag_case_through_the_cli(case: dict[str, Any], tmp_path: Path) -> None:
    args = ["image-updater", "test", case["current_image"], "--strategy", case["strategy"], "-o", "json"]
    if case.get("constraint"):
        args += ["--constraint", str(case["constraint"])]
    result = runner.invoke(app, [*args, "--tags-file", str(tags_file(tmp_path, case))])
    if case.get("error"):
        assert result.exit_code != 0
        assert "constraint" in result.output
        return
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert (found["tag"] if found else None) == case["expected"]
    if "expected_digest" in case:
        assert found["digest"] == case["expected_digest"]


def test_text_output_and_bad_files(tmp_path: Path) -> None:
    path = tmp_path / "tags.yaml"
    path.write_text("- v1\n- {tag: v4, created: 2024-01-01T00:00:00Z}\n- tag: v3\n")
    result = runner.invoke(
        app, ["image-updater", "test", "qjoly/kubernetes-coffee-image", "--tags-file", str(path)]
    )
    assert result.exit_code == 0 and result.stdout.strip() == "qjoly/kubernetes-coffee-image:v4"
    result = runner.invoke(
        app, ["image-updater", "test", "x", "--constraint", "~9", "--tags-file", str(path)]
    )
    assert result.exit_code == 0 and "no tag of x qualifies" in result.stdout
    path.write_text("- {created: yesterday}\n")
    result = runner.invoke(app, ["image-updater", "test", "x", "--tags-file", str(path)])
    assert result.exit_code != 0 and "item 1: expected a mapping with 'tag'" in result.output
