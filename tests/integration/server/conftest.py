"""A real Argosy API server on loopback, backed by the session's local cluster (see support.api_server)."""

from support.api_server import (  # noqa: F401  (fixtures)
    admin,
    admin_password,
    api,
    control_plane,
    login,
    server,
    set_password,
)
