"""Where the local clusters keep binaries, state and logs.

Binaries are cached per user (``$ARGOSY_CACHE_DIR``, default
``$XDG_CACHE_HOME/argosy`` or ``~/.cache/argosy``) because they are costly to
build and identical across checkouts; cluster state (certificates, etcd data,
logs, PIDs) lives in ``$ARGOSY_STATE_DIR`` (default ``~/.local/state/argosy``).
"""

from __future__ import annotations

import os
from pathlib import Path

from argosy.dirs import user_cache_dir


def cache_dir() -> Path:
    return user_cache_dir()


def tools_path_dir() -> Path:
    """Where the pinned tools are linked; dev scripts put it first on ``PATH``."""
    return cache_dir() / "path"


def state_dir() -> Path:
    explicit = os.environ.get("ARGOSY_STATE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "argosy"


def checkout_dir() -> Path | None:
    """The source checkout this package runs from (an editable install), or None for a wheel.

    What only a checkout holds is found here: the Go wrapper modules (``dev/``), the install
    bundles (``manifests/``) and the sources the argosy image is built from.
    """
    root = Path(__file__).resolve().parents[3]
    return root if (root / "pyproject.toml").is_file() else None


def dev_dir() -> Path:
    """The repository's ``dev/`` folder, holding the Go wrapper modules.

    Found next to the source tree (editable install) or through ``$ARGOSY_DEV_DIR``.
    """
    explicit = os.environ.get("ARGOSY_DEV_DIR")
    if explicit:
        return Path(explicit)
    candidate = Path(__file__).resolve().parents[3] / "dev"
    if not (candidate / "k8s" / "go.mod").is_file():
        raise FileNotFoundError(
            f"Go wrapper modules not found at {candidate}: run argosy from a checkout "
            "(pip install -e .) or set ARGOSY_DEV_DIR to the checkout's dev/ folder"
        )
    return candidate
