"""Output formatting of the CLI: tables, cells, times, and the -o formats."""

from __future__ import annotations

import json

import pytest
import yaml

from argosy.cli.cluster import check_rfc1123, cluster_row, short_version
from argosy.cli.commands.backend import CliError
from argosy.cli.output import cell, check_format, duration, format_time, print_items, short_sha, table


def test_table_pads_columns_like_tabwriter_and_strips_trailing_spaces() -> None:
    text = table(["NAME", "STATUS"], [["a", "Synced"], ["longer-name", ""]])
    assert text.splitlines() == ["NAME         STATUS", "a            Synced", "longer-name"]


def test_cells_join_lists_and_print_booleans_as_go_does() -> None:
    assert cell(["a", "b"]) == "a,b"
    assert cell(True) == "true"
    assert cell(None) == ""
    assert cell("two\nlines") == "two lines"


def test_unknown_output_format_is_an_error_that_lists_the_choices() -> None:
    with pytest.raises(CliError, match="wide, json, yaml, name"):
        check_format("xml")


def test_times_and_durations_as_argocd_prints_them() -> None:
    assert format_time("2024-05-01T10:00:00Z") == "2024-05-01 10:00:00 +0000 UTC"
    assert duration("2024-05-01T10:00:00Z", "2024-05-01T11:01:05Z") == "1h1m5s"
    assert duration("2024-05-01T10:00:00Z", "2024-05-01T10:00:07Z") == "7s"
    assert short_sha("a" * 40) == "aaaaaaa"
    assert short_sha("v1.2.3") == "v1.2.3"


def test_print_items_in_every_format(capsys: pytest.CaptureFixture[str]) -> None:
    items = [{"metadata": {"name": "one"}, "x": 1}, {"metadata": {"name": "two"}, "x": 2}]

    def row(i: dict[str, object]) -> list[object]:
        return [i["metadata"]["name"], i["x"]]  # type: ignore[index]

    print_items(items, "", ["NAME", "X"], row)
    assert capsys.readouterr().out.splitlines() == ["NAME  X", "one   1", "two   2"]
    print_items(items, "json", ["NAME", "X"], row)
    assert json.loads(capsys.readouterr().out) == items
    print_items(items, "yaml", ["NAME", "X"], row)
    assert yaml.safe_load(capsys.readouterr().out) == items
    print_items(items, "name", ["NAME", "X"], row)
    assert capsys.readouterr().out.splitlines() == ["one", "two"]
    print_items(
        items,
        "wide",
        ["NAME"],
        lambda i: [i["metadata"]["name"]],
        wide_headers=["X"],
        wide_row=lambda i: [i["x"]],
    )
    assert capsys.readouterr().out.splitlines()[0] == "NAME  X"


def test_cluster_rows_show_minor_version_and_connection_status() -> None:
    assert short_version("v1.30.2+k3s1") == "1.30"
    assert short_version("1.29") == "1.29"
    row = cluster_row(
        {
            "server": "https://x:6443",
            "name": "x",
            "serverVersion": "v1.31.0",
            "connectionState": {"status": "Successful"},
        }
    )
    assert row == ["https://x:6443", "x", "1.31", "Successful", "", ""]
    nested = cluster_row(
        {
            "server": "s",
            "name": "n",
            "info": {"serverVersion": "1.28", "connectionState": {"status": "Failed", "message": "refused"}},
        }
    )
    assert nested[2:5] == ["1.28", "Failed", "refused"]
    assert cluster_row({"server": "s"})[3] == "Unknown"


@pytest.mark.parametrize("name", ["prod-eu-1", "a", "cluster.example.com"])
def test_rfc1123_names_are_accepted(name: str) -> None:
    check_rfc1123(name)


@pytest.mark.parametrize("name", ["Prod", "under_score", "-lead", "trail-", "", "x" * 254])
def test_non_rfc1123_names_are_refused_with_an_example(name: str) -> None:
    with pytest.raises(CliError, match="RFC 1123"):
        check_rfc1123(name)
