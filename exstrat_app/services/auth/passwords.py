"""Password rules and hashing (SPEC §7).

bcrypt at cost `BCRYPT_ROUNDS` (12). bcrypt only reads the first 72 bytes of its input (and
bcrypt >= 5 raises on longer input), so the password is first hashed with SHA-256 and
base64-encoded (44 ASCII bytes, never a NUL) and *that* goes into bcrypt: every character of
a long passphrase counts. Passwords are 10..256 characters.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from functools import lru_cache

import bcrypt

BCRYPT_ROUNDS = 12
PASSWORD_MIN_CHARS = 10
PASSWORD_MAX_CHARS = 256


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None."""
    if len(password or "") < PASSWORD_MIN_CHARS:
        return f"Password must be at least {PASSWORD_MIN_CHARS} characters."
    if len(password) > PASSWORD_MAX_CHARS:
        return f"Password must be at most {PASSWORD_MAX_CHARS} characters."
    return None


def _prehash(password: str) -> bytes:
    return base64.b64encode(hashlib.sha256(password.encode("utf-8")).digest())


def hash_password(password: str) -> str:
    """bcrypt(cost 12) over base64(SHA-256(password)); a 60-character `$2b$12$...` string."""
    return bcrypt.hashpw(_prehash(password), bcrypt.gensalt(rounds=BCRYPT_ROUNDS)).decode()


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return bcrypt.checkpw(_prehash(password), password_hash.encode())
    except ValueError:  # malformed stored hash
        return False


def hash_cost(password_hash: str) -> int:
    """The bcrypt cost a stored hash was made with (0 when it cannot be read)."""
    parts = password_hash.split("$")
    return int(parts[2]) if len(parts) > 3 and parts[2].isdigit() else 0


def needs_rehash(password_hash: str) -> bool:
    """Made with a lower cost than today's: upgraded on the next successful sign-in."""
    return hash_cost(password_hash) < BCRYPT_ROUNDS


@lru_cache
def dummy_hash() -> str:
    """A real hash to check against when the email is unknown (no timing oracle)."""
    return hash_password(secrets.token_urlsafe(24))
