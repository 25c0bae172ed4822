"""A jq worker process: reads requests on stdin, answers on stdout, forever.

Started by :mod:`argosy.sandbox.jq_pool`; imports only the jq binding and the
engine's jq module, so it starts fast. Frames are ``<type:1><length:4><payload>``:
the worker says ``O`` once it is ready (so its start-up never counts against an
expression's time limit); the parent sends ``E`` (a JSON list of expressions) then ``D`` (the object as
JSON); the worker answers ``S`` (the index of the expression it starts, so the
parent can name the one that overran) for each expression, then ``R`` (the
result as JSON). Its address space is capped (``RLIMIT_AS``), so a runaway
allocation ends in a failed allocation or the process's death, not the host's.
"""

from __future__ import annotations

import contextlib
import ctypes
import resource
import signal
import struct
import sys
from typing import BinaryIO

import orjson

from argosy.engine.jqpaths import delete_one

HEADER = struct.Struct(">cI")
_PR_SET_PDEATHSIG = 1


def read_frame(stream: BinaryIO) -> tuple[bytes, bytes] | None:
    """One frame, or None at end of input."""
    head = stream.read(HEADER.size)
    if len(head) < HEADER.size:
        return None
    kind, length = HEADER.unpack(head)
    payload = stream.read(length)
    if len(payload) < length:
        return None
    return kind, payload


def write_frame(stream: BinaryIO, kind: bytes, payload: bytes) -> None:
    stream.write(HEADER.pack(kind, len(payload)) + payload)
    stream.flush()


def _limit_self(memory_bytes: int) -> None:
    if memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    with contextlib.suppress(OSError, AttributeError):  # die with the parent, even while stuck in jq (Linux)
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def serve(stdin: BinaryIO, stdout: BinaryIO) -> None:
    write_frame(stdout, b"O", b"")
    while True:
        request = read_frame(stdin)
        body = read_frame(stdin) if request is not None else None
        if request is None or body is None:
            return
        expressions: list[str] = orjson.loads(request[1])
        doc = orjson.loads(body[1])
        for index, expression in enumerate(expressions):
            write_frame(stdout, b"S", str(index).encode())
            try:
                doc = delete_one(expression, doc)
            except MemoryError:
                write_frame(stdout, b"M", str(index).encode())
                break
        else:
            write_frame(stdout, b"R", orjson.dumps(doc))


def main() -> None:
    _limit_self(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    serve(sys.stdin.buffer, sys.stdout.buffer)


if __name__ == "__main__":
    main()
