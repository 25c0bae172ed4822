"""Run git/helm/kustomize with a timeout and an output cap.

Rendering runs untrusted repository content: a template can loop forever or
print gigabytes. Every process therefore runs in its own process group, is
killed with the whole group when it passes its deadline (default 90 s, like
Argo CD's ``ARGOCD_EXEC_TIMEOUT``) or its output cap, and its messages are
redacted before they can reach an error.

The deadline is enforced by the process that started the command; when that
process dies (a repo server killed with SIGKILL mid-render), nobody would, and
a never-ending ``helm template`` would spin on. On Linux every command is
therefore started with ``PR_SET_PDEATHSIG``: it is killed when the thread that
started it (which waits for it until it ends) goes away.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from argosy.repo.errors import CommandTimeoutError, OutputTooLargeError, StorageError, ToolNotFoundError
from argosy.repo.redact import redact

DEFAULT_TIMEOUT = float(os.environ.get("ARGOSY_EXEC_TIMEOUT", "90"))
DEFAULT_OUTPUT_CAP = int(os.environ.get("ARGOSY_EXEC_OUTPUT_CAP", str(256 * 1024 * 1024)))
_PR_SET_PDEATHSIG = 1


def _load_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _load_prctl()  # resolved once: nothing may be looked up between fork and exec


def _die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` making the child die with its parent (None where unsupported)."""
    prctl = _PRCTL
    if prctl is None:
        return None
    parent = os.getpid()

    def arm() -> None:
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL))
        if os.getppid() != parent:  # the parent died before the signal was armed
            os._exit(137)

    return arm


#: Variables through which a client finds a Kubernetes API server (kubeconfig, in-cluster config).
CLUSTER_ENV_PREFIXES = ("KUBECONFIG", "KUBERNETES_SERVICE_", "KUBERNETES_PORT")


def without_cluster_access(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """``environ`` (default ``os.environ``) minus every way to reach a cluster.

    Tools run untrusted templates; Helm's ``lookup`` and any plugin that speaks to
    Kubernetes must find no kubeconfig and no in-cluster service variables, even when
    the repo service runs in-process beside a controller that has cluster access.
    """
    env = os.environ if environ is None else environ
    return {k: v for k, v in env.items() if not k.startswith(CLUSTER_ENV_PREFIXES)}


@dataclass(frozen=True)
class Result:
    """What a finished process produced."""

    returncode: int
    stdout: bytes
    stderr: str

    @property
    def text(self) -> str:
        return self.stdout.decode("utf-8", errors="replace")


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def run(
    args: Sequence[str],
    *,
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    stdin: bytes | None = None,
    timeout: float | None = None,
    output_cap: int | None = None,
    secrets: Sequence[str] = (),
) -> Result:
    """Run ``args``; raise on timeout or cap, return the result (any exit code) otherwise."""
    limit = DEFAULT_TIMEOUT if timeout is None else timeout
    cap = DEFAULT_OUTPUT_CAP if output_cap is None else output_cap
    name = os.path.basename(args[0])
    try:
        proc = subprocess.Popen(
            list(args),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            preexec_fn=_die_with_parent(),  # only prctl, resolved before the fork
        )
    except OSError as exc:
        # An unreadable or vanished working directory (the cache directory's permissions
        # changed, the disk was unmounted) must fail the render with a message, not a traceback.
        if cwd is not None and str(exc.filename) == str(cwd):
            raise StorageError(
                f"cannot run {name} in {cwd}: {exc.strerror or exc}; check that the repo server's "
                "cache directory (--cache-dir) exists and is readable and writable"
            ) from None
        raise ToolNotFoundError(f"cannot run {args[0]}: {exc.strerror or exc}") from None
    chunks: dict[str, list[bytes]] = {"out": [], "err": []}
    total = [0]
    over = threading.Event()
    lock = threading.Lock()

    def pump(stream: IO[bytes], key: str) -> None:
        while True:
            block = stream.read(65536)
            if not block:
                return
            with lock:
                total[0] += len(block)
                if total[0] > cap:
                    over.set()
                    return
                chunks[key].append(block)

    assert proc.stdout is not None and proc.stderr is not None
    readers = [
        threading.Thread(target=pump, args=(proc.stdout, "out"), daemon=True),
        threading.Thread(target=pump, args=(proc.stderr, "err"), daemon=True),
    ]
    for t in readers:
        t.start()
    if stdin is not None and proc.stdin is not None:
        try:
            proc.stdin.write(stdin)
            proc.stdin.close()
        except BrokenPipeError:
            pass
    deadline = time.monotonic() + limit
    while True:
        try:
            proc.wait(timeout=0.05)
            break
        except subprocess.TimeoutExpired:
            pass
        if over.is_set():
            _kill_group(proc)
            raise OutputTooLargeError(f"{name} wrote more than {cap} bytes of output and was killed")
        if time.monotonic() > deadline:
            _kill_group(proc)
            raise CommandTimeoutError(f"{name} did not finish within {limit:g}s and was killed")
    for t in readers:
        t.join(timeout=max(0.1, deadline - time.monotonic()))
    if over.is_set():
        raise OutputTooLargeError(f"{name} wrote more than {cap} bytes of output and was killed")
    stderr = b"".join(chunks["err"]).decode("utf-8", errors="replace")
    return Result(proc.returncode, b"".join(chunks["out"]), redact(stderr, secrets))
