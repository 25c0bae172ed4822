#!/usr/bin/env bash
# Install everything Argosy's demo and tests need, on a fresh Debian machine.
# Idempotent: a second run installs nothing and builds nothing.
#   1. Debian packages used by the demo and tests (git, sshd, age, gnupg, docker-registry, chromium,
#      containerd/runc/CNI plugins for real nodes, gcc for the pause image, debootstrap for the
#      argosy image's base layer)
#   2. the Python venv .venv with argosy installed in editable mode (+ dev tools)
#   3. the web UI (ui/) built with the machine's Node and npm into src/argosy/server/webui/dist
#   4. the pinned control-plane binaries and helm/kustomize/sops/ksops and the SSO tests' OpenID
#      provider (dev/oidc-provider), built from Go modules
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# --- 1. Debian packages ------------------------------------------------------
declare -A probe=(
  [git]=/usr/bin/git
  [openssh-server]=/usr/sbin/sshd
  [openssh-client]=/usr/bin/ssh-keygen
  [age]=/usr/bin/age
  [gnupg]=/usr/bin/gpg
  [docker-registry]=/usr/bin/docker-registry
  [chromium]=/usr/bin/chromium
  # real nodes of the local cluster (argosy dev cluster up --real-nodes N) and their images
  [containerd]=/usr/bin/containerd
  [runc]=/usr/sbin/runc
  [containernetworking-plugins]=/usr/lib/cni/bridge
  [iptables]=/usr/sbin/iptables
  [iproute2]=/usr/sbin/ip
  [gcc]=/usr/bin/gcc
  [libc6-dev]=/usr/lib/x86_64-linux-gnu/libc.a
  [debootstrap]=/usr/sbin/debootstrap
)
missing=()
for pkg in "${!probe[@]}"; do
  [ -e "${probe[$pkg]}" ] || missing+=("$pkg")  # -e: libc.a is not executable
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
for tool in go kubectl python3 node npm; do
  command -v "$tool" >/dev/null || { echo "error: $tool is required and not on PATH" >&2; exit 1; }
done

# --- 2. Python venv ------------------------------------------------------------
if [ ! -x .venv/bin/python ]; then
  say "creating the Python venv in .venv"
  python3 -m venv .venv
fi
stamp=.venv/.argosy-installed
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "installing argosy and its dependencies into .venv"
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e '.[dev]'
  echo "$want" > "$stamp"
fi

# --- 3. the web UI ----------------------------------------------------------------
# npm ci only when the lockfile changed; the build only when a UI source changed (or no bundle).
ui_hash() { (cd ui && find src index.html vite.config.ts tsconfig.json package-lock.json -type f -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -d' ' -f1; }
lock_want="$(sha256sum ui/package-lock.json | cut -d' ' -f1)"
if [ ! -f ui/node_modules/.argosy-lock ] || [ "$(cat ui/node_modules/.argosy-lock)" != "$lock_want" ]; then
  say "installing the web UI's npm packages (npm ci)"
  (cd ui && npm ci --no-audit --no-fund --loglevel=error)
  echo "$lock_want" > ui/node_modules/.argosy-lock
fi
ui_want="$(ui_hash)"
ui_stamp=src/argosy/server/webui/dist/.argosy-built
if [ ! -f "$ui_stamp" ] || [ "$(cat "$ui_stamp")" != "$ui_want" ]; then
  say "building the web UI into src/argosy/server/webui/dist"
  (cd ui && npm run --silent build -- --logLevel warn)
  echo "$ui_want" > "$ui_stamp"
fi

# --- 4. Go-built binaries -------------------------------------------------------
say "building (or reusing) the pinned control plane and tools"
.venv/bin/argosy dev build >/dev/null
