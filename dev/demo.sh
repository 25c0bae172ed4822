#!/usr/bin/env bash
# Set up everything (dev/setup.sh), then run the getting-started tutorial in a local cluster with
# a real node: build the images, install Argosy in-cluster from manifests/install.yaml, log in
# with the initial admin password, create and sync the Helm app simple-app, open its web page.
# Stop it all with: argosy dev demo down
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# Checked again by `argosy dev demo up`; here too, so a non-root run stops before the setup.
if [ "$(id -u)" -ne 0 ]; then
  echo "error: the demo runs a real Kubernetes node (kubelet, containerd, network namespaces," \
    "mounts, cgroups) and builds the argosy image with debootstrap: run it as root, e.g." \
    "sudo dev/demo.sh" >&2
  exit 1
fi
bash dev/setup.sh
export PATH="$ROOT/.venv/bin:${ARGOSY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/argosy}/path:$PATH"
argosy dev demo up
