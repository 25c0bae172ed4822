"""Each fuzz target runs coverage-guided under atheris for a bounded time and finds nothing.

CI gives every target one second after replaying its corpus (``ARGOSY_SUITE_MODE=long``: five minutes).
The committed seed corpus is copied first, so new inputs the fuzzer finds stay
in the temporary copy; a crash leaves its input next to the log and the test
shows how to replay it. Executions per target are printed for the table in
docs/reliability.md.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support.budget import scaled

pytest.importorskip("atheris")

HERE = Path(__file__).parent
TARGETS = sorted(p.name for p in (HERE / "corpus").iterdir() if p.is_dir())
SECONDS = scaled(1, 300)


@pytest.mark.parametrize("target", TARGETS)
def test_fuzz_target_finds_no_crash(target: str, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(HERE / "corpus" / target, corpus)
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[3] / "src")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH", "")) if p)
    proc = subprocess.run(
        [
            sys.executable,
            str(HERE / "fuzz_main.py"),
            target,
            str(corpus),
            f"-max_total_time={SECONDS}",
            "-timeout=20",
            "-rss_limit_mb=2048",
            f"-artifact_prefix={tmp_path}/",
            "-print_final_stats=1",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=SECONDS + 120,
        check=False,
    )
    crashes = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(("crash-", "timeout-", "oom-")))
    assert proc.returncode == 0 and not crashes, (
        f"fuzz target {target!r} failed (rc {proc.returncode}, inputs {crashes} in {tmp_path}); replay with "
        f"`python tests/security/fuzz/fuzz_main.py {target} <input>`\n{proc.stderr[-4000:]}"
    )
    runs = re.search(r"stat::number_of_executed_units:\s*(\d+)", proc.stderr)
    assert runs is not None and int(runs.group(1)) > 0, proc.stderr[-2000:]
    print(f"fuzz {target}: {runs.group(1)} executions in {SECONDS} s")
