"""The API server fixtures (see :mod:`support.api_server`) for the server tests."""

from support.api_server import admin, admin_password, api, control_plane, login, server, set_password

__all__ = ["admin", "admin_password", "api", "control_plane", "login", "server", "set_password"]
