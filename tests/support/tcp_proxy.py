"""A loopback TCP proxy a test can partition: forward, black-hole or refuse.

It stands in front of a real API server (TLS passes through untouched; the
server certificate names 127.0.0.1, so the other port does not matter) and
plays the network between the controller and a destination cluster:

* ``forward`` — bytes flow both ways;
* ``blackhole`` — a partition: connections stay open but no byte moves, new
  connections are accepted and hang (what a dropped route looks like; nothing
  tells the client that the peer is gone);
* ``refuse`` — every connection is reset and new ones are closed at once.

Back to ``forward``, black-holed connections resume where they stopped.
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading
from types import TracebackType

MODES = ("forward", "blackhole", "refuse")


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.mode = "forward"
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._conns: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, name=f"tcp-proxy:{self.port}", daemon=True)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"proxy mode {mode!r}: one of {', '.join(MODES)}")
        self.mode = mode
        if mode == "refuse":
            with self._lock:
                conns, self._conns = self._conns, []
            for conn in conns:
                _reset(conn)

    def __enter__(self) -> TcpProxy:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._listener.close()
        with self._lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            _reset(conn)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.mode == "refuse":
                _reset(client)
                continue
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        while self.mode == "blackhole" and not self._stop.is_set():
            self._stop.wait(0.1)  # a black-holed SYN: the upstream is not even contacted
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            _reset(client)
            return
        with self._lock:
            self._conns += [client, upstream]
        peer = {client: upstream, upstream: client}
        try:
            while not self._stop.is_set():
                if self.mode != "forward":
                    if self.mode == "refuse":
                        return
                    self._stop.wait(0.1)
                    continue
                ready, _, _ = select.select(list(peer), [], [], 0.1)
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    peer[sock].sendall(data)
        except OSError:
            return
        finally:
            _reset(client)
            _reset(upstream)


def _reset(sock: socket.socket) -> None:
    """Close with RST (SO_LINGER 0), so the peer sees the connection die at once."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()
