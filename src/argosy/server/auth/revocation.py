"""Revoked session ids (logout), kept until the token would have expired anyway.

Argo CD keeps this list in Redis; Argosy keeps it in the server process, so a
logout is honoured by the replica that received it. API tokens do not need
this list: deleting their id from the account (or project) revokes them in
every replica, because the id list lives in Kubernetes.
"""

from __future__ import annotations

import threading
import time


class RevokedTokens:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._until: dict[str, float] = {}

    def revoke(self, token_id: str, expires_at: float) -> None:
        """Remember ``token_id`` until ``expires_at`` (epoch seconds; 0 = forever)."""
        with self._lock:
            self._until[token_id] = expires_at or float("inf")

    def is_revoked(self, token_id: str) -> bool:
        now = time.time()
        with self._lock:
            for tid in [t for t, until in self._until.items() if until < now]:
                del self._until[tid]
            return token_id in self._until
