"""Keep decrypted renders out of the render cache in clear.

A render that decrypted anything is stored sealed: the entry's JSON is
encrypted with AES-256-GCM under a key that lives only in this process's
memory, both in the in-memory LRU and in the JSON file on disk. A restarted
repo server cannot open its old sealed entries - they count as misses and the
source is rendered (and decrypted) again; nothing in clear is ever written.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SEALED = "sealed"
SENSITIVE = "sensitive"


class Sealer:
    def __init__(self) -> None:
        self._aead = AESGCM(AESGCM.generate_key(bit_length=256))

    def seal(self, entry: dict[str, Any]) -> dict[str, Any]:
        """The entry as stored: sealed when it is marked sensitive, else unchanged."""
        if not entry.get(SENSITIVE):
            return entry
        nonce = os.urandom(12)
        data = self._aead.encrypt(nonce, json.dumps(entry, separators=(",", ":")).encode(), None)
        return {SEALED: base64.b64encode(nonce + data).decode()}

    def unseal(self, stored: dict[str, Any] | None) -> dict[str, Any] | None:
        """The entry behind ``stored``; None (a miss) when it was sealed by another process."""
        if stored is None or SEALED not in stored:
            return stored
        try:
            raw = base64.b64decode(str(stored[SEALED]))
            value = json.loads(self._aead.decrypt(raw[:12], raw[12:], None))
        except (ValueError, InvalidTag):
            return None
        return value if isinstance(value, dict) else None
