"""The committed fuzz corpora replay cleanly through every target, without atheris.

Inputs that once crashed a parser are kept in the corpus (named ``regress-*``),
so this fast check keeps each fixed defect fixed even where atheris is absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fuzz_targets import TARGETS

HERE = Path(__file__).parent


def _inputs() -> list[tuple[str, Path]]:
    return [(name, path) for name in sorted(TARGETS) for path in sorted((HERE / "corpus" / name).iterdir())]


@pytest.mark.parametrize(("target", "path"), _inputs(), ids=lambda v: v if isinstance(v, str) else v.name)
def test_corpus_input_replays_cleanly(target: str, path: Path) -> None:
    TARGETS[target](path.read_bytes())


def test_every_target_has_a_corpus() -> None:
    assert {p.name for p in (HERE / "corpus").iterdir() if p.is_dir()} == set(TARGETS)
