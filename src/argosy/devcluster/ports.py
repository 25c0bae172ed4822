"""Free loopback ports for a new cluster, so several clusters run side by side."""

from __future__ import annotations

import socket


class PortInUseError(RuntimeError):
    """A port the cluster was told to use is taken; the message names it."""


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """Ask the kernel for ``count`` distinct free ports on ``host``.

    All sockets are held open until every port is chosen, so the same port is
    never handed out twice in one call.
    """
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((host, 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def check_free(port: int, host: str = "127.0.0.1") -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            raise PortInUseError(f"port {host}:{port} is already in use ({exc.strerror})") from exc
