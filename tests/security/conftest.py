"""Security tests use the real API server of ``support.api_server`` (one per module)."""

from support.api_server import (  # noqa: F401  (fixtures)
    admin,
    admin_password,
    api,
    control_plane,
    login,
    server,
    set_password,
)
