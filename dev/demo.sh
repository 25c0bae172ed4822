#!/usr/bin/env bash
# Set up everything (dev/setup.sh) and start the local demo cluster.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash dev/setup.sh
export PATH="$ROOT/.venv/bin:${ARGOSY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/argosy}/path:$PATH"

argosy dev cluster up demo --nodes 2
export KUBECONFIG="$(argosy dev cluster kubeconfig demo)"
kubectl get nodes -o wide
echo
echo "The demo cluster runs. Use it with:"
echo "  export KUBECONFIG=$KUBECONFIG"
echo "Stop it with: .venv/bin/argosy dev cluster down demo"
