#!/usr/bin/env bash
# Set up everything (dev/setup.sh), then run the whole suite: lint, types, tests.
# Extra arguments go to pytest (e.g. dev/test.sh -m unit).
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
pytest "$@"
