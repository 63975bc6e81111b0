"""Deterministic ids and hashes: the same dataset always shows the same ids, so tests and the
demo can name them."""

from __future__ import annotations

import hashlib
import uuid

_NS = uuid.UUID("6f1c1b9e-4d0a-4c55-9a53-5e2f1d7c0a11")


def sim_uuid(*parts: object) -> str:
    """A deterministic UUID for ids (Coinbase accounts, fills, transactions)."""
    return str(uuid.uuid5(_NS, ":".join(str(p) for p in parts)))


def txhash(*parts: object) -> str:
    """A deterministic 64-hex transaction hash (on-chain txids of deposits/withdrawals)."""
    return hashlib.sha256(":".join(str(p) for p in parts).encode()).hexdigest()
