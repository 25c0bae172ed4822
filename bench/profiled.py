"""Run ``argosy ARGS...`` under yappi (all threads, CPU time) and write a pstats file at exit.

Used by ``bench_fleet.py --profile FILE``: ``python bench/profiled.py FILE controller ...``.
cProfile and pyinstrument see only the main thread, while the controller works in its
worker threads; yappi profiles every thread. Install it with ``pip install yappi``.
"""

from __future__ import annotations

import sys

import yappi

from argosy.cli.main import main

if __name__ == "__main__":
    out = sys.argv[1]
    sys.argv = ["argosy", *sys.argv[2:]]
    yappi.set_clock_type("cpu")
    yappi.start(builtins=False)
    try:
        main()
    except SystemExit:
        pass
    finally:
        yappi.stop()
        yappi.get_func_stats().save(out, type="pstat")
