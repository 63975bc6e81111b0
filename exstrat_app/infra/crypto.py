"""AES-256-GCM for exchange secrets at rest.

Each value is sealed with a fresh 96-bit nonce and associated data binding it to its
row and column (`<account id>:<field>`): a ciphertext copied to another row or column
fails to decrypt. `key_id` (a fingerprint of the key, not the key) is stored beside the
ciphertexts so that rotation knows which key opens them.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from exstrat_app.settings import get_settings

NONCE_BYTES = 12


class SecretUnreadable(Exception):
    """The ciphertext does not open with any known key for this row (tampered or moved)."""


def key_fingerprint(key: bytes) -> str:
    return hashlib.sha256(b"exstrat-key-id:" + key).hexdigest()[:16]


@dataclass(frozen=True)
class SecretBox:
    keys: tuple[bytes, ...]  # current first, then old keys still accepted

    @classmethod
    def from_settings(cls) -> SecretBox:
        return cls(tuple(get_settings().encryption_keys()))

    @property
    def current_key_id(self) -> str:
        return key_fingerprint(self.keys[0])

    def seal(self, plaintext: str, *, row_id: str, column: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        aad = f"{row_id}:{column}".encode()
        return nonce + AESGCM(self.keys[0]).encrypt(nonce, plaintext.encode(), aad)

    def open(self, sealed: bytes, *, key_id: str, row_id: str, column: str) -> str:
        key = next((k for k in self.keys if key_fingerprint(k) == key_id), None)
        if key is None:
            raise SecretUnreadable("no configured ENCRYPTION_KEY matches this account's key id")
        nonce, body = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
        try:
            return AESGCM(key).decrypt(nonce, body, f"{row_id}:{column}".encode()).decode()
        except InvalidTag as exc:
            raise SecretUnreadable("stored secret failed authentication") from exc
