"""Security tests use the real API server of ``support.api_server``.

One control-plane namespace and one server serve the whole package (modules
add their own accounts, projects and apps beside each other's), which keeps
the security suite within its CI time budget; clients, logins and passwords
stay per module.
"""

from collections.abc import Iterator
from typing import Any

import pytest

from argosy.server.run import BackgroundServer
from support.api_server import (  # noqa: F401  (fixtures)
    ControlPlane,
    admin,
    admin_password,
    api,
    control_plane_namespace,
    login,
    running_server,
    set_password,
)


@pytest.fixture(scope="package")
def control_plane(cluster: Any) -> Iterator[ControlPlane]:
    with control_plane_namespace(cluster) as cp:
        yield cp


@pytest.fixture(scope="package")
def server(control_plane: ControlPlane) -> Iterator[BackgroundServer]:
    with running_server(control_plane) as srv:
        yield srv
