"""Run one fuzz target under atheris: ``python fuzz_main.py TARGET [libFuzzer args] [corpus dirs]``.

Argosy's modules are instrumented for coverage as they are imported, so the
fuzzer steers towards new branches of the parser, not only new bytes. See
docs/reliability.md ("Fuzzing") for the settings the suite uses.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).parent))

with atheris.instrument_imports(include=["argosy"]):
    import fuzz_targets


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in fuzz_targets.TARGETS:
        names = ", ".join(fuzz_targets.TARGETS)
        raise SystemExit(f"usage: fuzz_main.py TARGET [libFuzzer args]; targets: {names}")
    target = fuzz_targets.TARGETS[sys.argv[1]]
    atheris.Setup([sys.argv[0], *sys.argv[2:]], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
