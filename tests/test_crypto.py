"""API secrets at rest: AES-256-GCM bound to their row and column, with key rotation."""

from __future__ import annotations

import os

import pytest

from exstrat_app.infra.crypto import SecretBox, SecretUnreadable, key_fingerprint

OLD = bytes.fromhex("aa" * 32)
NEW = bytes.fromhex("bb" * 32)


def test_a_sealed_secret_opens_only_in_its_own_row_and_column() -> None:
    box = SecretBox((NEW,))
    sealed = box.seal("my-binance-secret", row_id="acc1", column="api_secret")
    # The plaintext is nowhere in the stored bytes, and two seals differ (fresh nonce).
    assert b"my-binance-secret" not in sealed
    assert sealed != box.seal("my-binance-secret", row_id="acc1", column="api_secret")
    kid = box.current_key_id
    assert box.open(sealed, key_id=kid, row_id="acc1", column="api_secret") == "my-binance-secret"
    # Copied to another account's row, or into the key column, it no longer opens.
    with pytest.raises(SecretUnreadable):
        box.open(sealed, key_id=kid, row_id="acc2", column="api_secret")
    with pytest.raises(SecretUnreadable):
        box.open(sealed, key_id=kid, row_id="acc1", column="api_key")


def test_a_flipped_bit_is_detected() -> None:
    box = SecretBox((NEW,))
    sealed = bytearray(box.seal("s3cret", row_id="acc1", column="api_secret"))
    sealed[-1] ^= 0x01
    with pytest.raises(SecretUnreadable):
        box.open(bytes(sealed), key_id=box.current_key_id, row_id="acc1", column="api_secret")


def test_rotation_new_key_seals_old_key_still_opens() -> None:
    sealed_with_old = SecretBox((OLD,)).seal("k", row_id="r", column="api_key")
    rotated = SecretBox((NEW, OLD))  # ENCRYPTION_KEY=new, ENCRYPTION_OLD_KEYS=old
    assert rotated.current_key_id == key_fingerprint(NEW)
    assert (
        rotated.open(sealed_with_old, key_id=key_fingerprint(OLD), row_id="r", column="api_key")
        == "k"
    )
    # Once the old key is dropped from the configuration, old rows cannot be read.
    with pytest.raises(SecretUnreadable):
        SecretBox((NEW,)).open(
            sealed_with_old, key_id=key_fingerprint(OLD), row_id="r", column="api_key"
        )


def test_key_ids_are_fingerprints_not_keys() -> None:
    kid = key_fingerprint(NEW)
    assert len(kid) == 16
    assert NEW.hex()[:16] != kid
    assert key_fingerprint(os.urandom(32)) != kid
