#!/usr/bin/env bash
# Set up everything (dev/setup.sh), then run the whole suite: lint, types, tests.
# Extra arguments go to pytest (e.g. dev/test.sh -m unit). The tests run on
# ARGOSY_TEST_WORKERS pytest-xdist workers (default 2; 0 runs them in this process):
# most of the suite waits on clusters, servers and controllers rather than computing,
# so two workers halve its time even on two cores. Each worker starts its own local
# clusters; tests of one file stay on one worker, and the machine-wide ones (real
# nodes, the demo, image builds) run one after another (tests/conftest.py).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash dev/setup.sh
export PATH="$ROOT/.venv/bin:${ARGOSY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/argosy}/path:$PATH"

echo "==> ruff" >&2
ruff check src tests bench
ruff format --check src tests bench
echo "==> mypy" >&2
mypy
echo "==> pytest" >&2
workers="${ARGOSY_TEST_WORKERS:-2}"
if [ "$workers" = "0" ]; then
  pytest "$@"
else
  pytest -n "$workers" "$@"
fi
