"""Global flags go anywhere on the line, as ``argocd``'s persistent flags do."""

from __future__ import annotations

import pytest

from argosy.cli.main import hoist_global_flags


def no_own(path: list[str]) -> set[str]:
    return set()


@pytest.mark.parametrize(
    "argv",
    [
        ["app", "list", "--server", "h:1", "--plaintext"],
        ["app", "--server", "h:1", "list", "--plaintext"],
        ["--server", "h:1", "--plaintext", "app", "list"],
        ["app", "list", "--server=h:1", "--plaintext"],
    ],
)
def test_global_flags_move_to_the_root_wherever_they_are(argv: list[str]) -> None:
    hoisted = hoist_global_flags(argv, no_own)
    assert hoisted[-2:] == ["app", "list"]
    assert set(hoisted[:-2]) <= {"--server", "h:1", "--server=h:1", "--plaintext"}


def test_a_command_keeps_an_option_of_the_same_name_and_values_are_not_taken_for_words() -> None:
    seen: list[list[str]] = []

    def login_options(path: list[str]) -> set[str]:
        seen.append(path)
        return {"--insecure", "--config"} if path[:1] == ["login"] else set()

    argv = ["login", "h:1", "--insecure", "--config", "c.yaml", "--auth-token", "T"]
    assert hoist_global_flags(argv, login_options) == [
        "--auth-token",
        "T",
        "login",
        "h:1",
        "--insecure",
        "--config",
        "c.yaml",
    ]
    assert seen == [["login", "h:1"]]


def test_nothing_after_a_double_dash_is_touched() -> None:
    argv = ["app", "create", "x", "--", "--server", "h"]
    assert hoist_global_flags(argv, no_own) == argv
