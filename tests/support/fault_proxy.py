"""A loopback TCP proxy whose behaviour a test switches: the Git server as the network sees it.

The proxy keeps one port for its whole life, so an Application's ``repoURL``
stays the same while the server behind it goes through its faults:

* ``forward``: a plain pass-through to the real server;
* ``down``: nothing listens on the port (clients get "connection refused");
* ``hang``: connections are accepted, requests read, and nothing is ever answered;
* ``slow``: answers are forwarded one byte per second (``slow_rate``).

Switching mode closes every open connection, as a restart of the real server would.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from types import TracebackType
from typing import Literal

Mode = Literal["forward", "down", "hang", "slow"]


class FaultProxy:
    def __init__(self, target_port: int, slow_rate: float = 1.0) -> None:
        self.target_port = target_port
        self.slow_rate = slow_rate
        self.mode: Mode = "forward"
        self.accepted = 0
        self._listener: socket.socket | None = None
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}.git"

    # -- lifecycle ---------------------------------------------------------------
    def __enter__(self) -> FaultProxy:
        self._listen()
        return self

    def __exit__(self, *exc: object | TracebackType) -> None:
        self._unlisten()
        self._drop_connections()

    def set_mode(self, mode: Mode) -> None:
        self._drop_connections()
        self.mode = mode
        if mode == "down":
            self._unlisten()
        elif self._listener is None:
            self._listen()

    def _listen(self) -> None:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        sock.listen(64)
        self._listener = sock
        threading.Thread(target=self._accept_loop, args=(sock,), daemon=True).start()

    def _unlisten(self) -> None:
        sock, self._listener = self._listener, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _drop_connections(self) -> None:
        with self._lock:
            conns, self._conns = self._conns, set()
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    def _track(self, conn: socket.socket) -> None:
        with self._lock:
            self._conns.add(conn)

    # -- connections ---------------------------------------------------------------
    def _accept_loop(self, sock: socket.socket) -> None:
        while True:
            try:
                client, _ = sock.accept()
            except OSError:
                return  # listener closed: "down" or the end of the test
            self.accepted += 1
            self._track(client)
            mode = self.mode
            if mode == "hang":
                threading.Thread(target=self._swallow, args=(client,), daemon=True).start()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            self._track(upstream)
            delay = 1.0 / self.slow_rate if mode == "slow" else 0.0
            threading.Thread(target=self._pump, args=(client, upstream, 0.0), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, delay), daemon=True).start()

    @staticmethod
    def _swallow(conn: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while conn.recv(65536):
                pass

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket, delay: float) -> None:
        """Copy ``src`` to ``dst``; with ``delay``, one byte per ``delay`` seconds."""
        with contextlib.suppress(OSError):
            while True:
                data = src.recv(1 if delay else 65536)
                if not data:
                    break
                if delay:
                    time.sleep(delay)
                dst.sendall(data)
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
