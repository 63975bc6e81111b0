"""The secrets of the account's emailed links (password reset, email change; docs/account.md).

A link carries a random token; the database keeps only its SHA-256, so whoever reads the
database can neither reset a password nor confirm an address. Limits that count per address
or per user key on a digest too: no address or id is written in Redis key names.
"""

from __future__ import annotations

import hashlib
import secrets

TOKEN_MAX_CHARS = 200  # a token is 43 characters; anything much longer is not one of ours


def new_token() -> str:
    """256 random bits, URL-safe: sent once in the link, never stored."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What the database keeps of a token (64 hex characters)."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def plausible(token: str) -> bool:
    """Whether a token is worth looking up (not empty, not absurdly long)."""
    return 0 < len(token or "") <= TOKEN_MAX_CHARS


def key_digest(text: str) -> str:
    """A short digest of an address or id for a limit's key."""
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:32]
