"""``argosy controller`` without sharding flags coordinates through Leases (by app), so a second
controller on the same namespace never acts on the same apps; ``--shards off`` opts out."""

from __future__ import annotations

import socket

import pytest

from argosy.cli.commands.backend import CliError
from argosy.cli.controller_cmd import _sharding


def test_default_is_app_sharding_as_the_host_name_or_pod_name() -> None:
    assert _sharding("", "", 1, -1, "legacy") == (socket.gethostname(), None)
    assert _sharding("", "ctl-7f9c", 1, -1, "legacy") == ("ctl-7f9c", None)
    assert _sharding("auto", "", 1, -1, "legacy") == (socket.gethostname(), None)


def test_off_and_argo_cd_per_cluster_sharding_do_not_use_app_leases() -> None:
    assert _sharding("off", "", 1, -1, "legacy") == (None, None)
    assert _sharding("", "", 3, 1, "round-robin") == (None, (3, 1, "round-robin"))


def test_contradictory_or_unknown_values_are_refused() -> None:
    with pytest.raises(CliError, match="exclude each other"):
        _sharding("auto", "", 3, 1, "legacy")
    with pytest.raises(CliError, match="'auto' or 'off'"):
        _sharding("sometimes", "", 1, -1, "legacy")
