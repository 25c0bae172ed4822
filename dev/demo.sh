#!/usr/bin/env bash
# Set up everything (dev/setup.sh), then run the demo: a local cluster, a Git repo
# with a Helm chart served on loopback, Argosy's repo server and controller, and
# an automated Application that ends Synced and Healthy.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash dev/setup.sh
export PATH="$ROOT/.venv/bin:${ARGOSY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/argosy}/path:$PATH"
argosy dev demo up
