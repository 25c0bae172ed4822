"""The Pod sandbox's pause program, built with gcc -static and run on the host: it sleeps until
SIGTERM/SIGINT and then exits 0, and reaps the children it inherits (no zombies in a Pod).

No cluster: needs gcc and the static libc (Debian's libc6-dev)."""

from __future__ import annotations

import os
import signal
import subprocess
import tarfile
import time
from pathlib import Path

import pytest

from argosy.devcluster import image_set, images


@pytest.fixture(scope="module")
def pause_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("images")
    out = tmp_path_factory.mktemp("pause")
    with tarfile.open(image_set.pause_layer(root)) as tar:
        tar.extract("pause", out, filter="data")
    return out / "pause"


def _signals_caught(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return int(line.split()[1], 16)
    raise AssertionError(f"no SigCgt in /proc/{pid}/status")


def _wait_for_handlers(proc: subprocess.Popen[bytes], *signums: int) -> None:
    """Signals sent before pause installs its handlers would kill it by default: wait for them."""
    mask = sum(1 << (s - 1) for s in signums)
    deadline = time.monotonic() + 30
    while _signals_caught(proc.pid) & mask != mask:
        assert proc.poll() is None, f"pause exited early with {proc.returncode}"
        assert time.monotonic() < deadline, "pause never installed its signal handlers"
        time.sleep(0.01)


def test_is_static(pause_binary: Path) -> None:
    out = subprocess.run(["file", str(pause_binary)], capture_output=True, text=True, check=True).stdout
    assert "statically linked" in out


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_runs_until_signalled_then_exits_zero(pause_binary: Path, signum: signal.Signals) -> None:
    proc = subprocess.Popen([str(pause_binary)], stderr=subprocess.PIPE)
    try:
        _wait_for_handlers(proc, signal.SIGTERM, signal.SIGINT, signal.SIGCHLD)
        assert proc.poll() is None
        proc.send_signal(signum)
        assert proc.wait(timeout=30) == 0
        assert proc.stderr is not None and b"Shutting down" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_reaps_inherited_children(pause_binary: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "go"
    os.mkfifo(fifo)
    # The shell's background child becomes pause's child after `exec`; it exits when the test says.
    proc = subprocess.Popen(
        ["sh", "-c", f'head -c1 "{fifo}" >/dev/null & echo $!; exec "{pause_binary}"'],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert proc.stdout is not None
        child = int(proc.stdout.readline())
        _wait_for_handlers(proc, signal.SIGCHLD)
        with fifo.open("w") as fh:
            fh.write("x")
        deadline = time.monotonic() + 30
        while Path(f"/proc/{child}").exists():
            state = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[-1].split()[0]
            assert time.monotonic() < deadline, f"child {child} was never reaped (state {state})"
            time.sleep(0.01)
        assert proc.poll() is None, "pause must keep running after reaping"
        proc.terminate()
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_pause_image_runs_pause_as_65535(tmp_path: Path) -> None:
    config = images.image_config(image_set.pause_image(root=tmp_path))
    assert config["config"]["Entrypoint"] == ["/pause"]
    assert config["config"]["User"] == "65535:65535"
    assert (config["os"], config["architecture"]) == ("linux", "amd64")
