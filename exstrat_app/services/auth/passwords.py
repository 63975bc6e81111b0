"""Password rules and hashing (docs/sign-up.md, "Passwords").

bcrypt at cost `BCRYPT_ROUNDS` (12). bcrypt only reads the first 72 bytes of its input (and
bcrypt >= 5 raises on longer input), so the password is first hashed with SHA-256 and
base64-encoded (44 ASCII bytes, never a NUL) and *that* goes into bcrypt: every character of
a long passphrase counts.

The rule for a new password: 10..256 characters, not a commonly used password (the 30,000
most common passwords of zxcvbn's list, also l33t-spelt or reversed, and nothing but
repeats or sequences of them), and a zxcvbn strength score of at least `MIN_STRENGTH` (3 of 4:
"safely unguessable", about 10^8 guesses) counting the email and the product's name as known
words. zxcvbn reads the
first 72 characters; a longer passphrase is judged by those.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Sequence
from functools import lru_cache

import bcrypt
from zxcvbn import zxcvbn

from exstrat_app.i18n import N_, Msg

BCRYPT_ROUNDS = 12
PASSWORD_MIN_CHARS = 10
PASSWORD_MAX_CHARS = 256
MIN_STRENGTH = 3
_ZXCVBN_MAX_CHARS = 72
PRODUCT_WORDS = ("exstrat",)  # known to anyone guessing a password for this site
TOO_COMMON = N_("This password is too common; choose one nobody else would.")
TOO_EASY = N_("This password is too easy to guess; use a few uncommon words or a longer phrase.")
# zxcvbn's warnings (English only), kept as our own messages so they can be translated.
_HINTS = {
    str(m): m
    for m in (
        N_("Straight rows of keys are easy to guess."),
        N_("Short keyboard patterns are easy to guess."),
        N_('Repeats like "aaa" are easy to guess.'),
        N_('Repeats like "abcabcabc" are only slightly harder to guess than "abc".'),
        N_('Sequences like "abc" or "6543" are easy to guess.'),
        N_("Recent years are easy to guess."),
        N_("Dates are often easy to guess."),
        N_("This is a top-10 common password."),
        N_("This is a top-100 common password."),
        N_("This is a very common password."),
        N_("This is similar to a commonly used password."),
        N_("A word by itself is easy to guess."),
        N_("Names and surnames by themselves are easy to guess."),
        N_("Common names and surnames are easy to guess."),
    )
}
# Matches of these kinds add no secret of their own to a password made only of them.
_TRIVIAL = frozenset({"repeat", "sequence", "date"})


def _only_common(matches: list[dict]) -> bool:
    """Whether the password is one common password, possibly spelt around with repeats."""
    kinds = [(m["pattern"], m.get("dictionary_name")) for m in matches]
    common = [k for k in kinds if k == ("dictionary", "passwords")]
    return bool(common) and all(k in common or k[0] in _TRIVIAL for k in kinds)


def password_problem(password: str, *, user_inputs: Sequence[str] = ()) -> Msg | None:
    """Why a new password is refused, or None. `user_inputs`: words of this account (the
    email) that make a password easy to guess."""
    if len(password or "") < PASSWORD_MIN_CHARS:
        return N_("Password must be at least {n} characters.", n=PASSWORD_MIN_CHARS)
    if len(password) > PASSWORD_MAX_CHARS:
        return N_("Password must be at most {n} characters.", n=PASSWORD_MAX_CHARS)
    inputs = [*PRODUCT_WORDS, *(word for text in user_inputs for word in _words(text))]
    result = zxcvbn(password[:_ZXCVBN_MAX_CHARS], user_inputs=inputs)
    if _only_common(result["sequence"]):
        return TOO_COMMON
    if result["score"] < MIN_STRENGTH:
        hint = (result.get("feedback") or {}).get("warning") or ""
        if not hint:
            return TOO_EASY
        return N_(
            "This password is too easy to guess; use a few uncommon words or a longer phrase. "
            "{hint}",
            hint=_HINTS.get(hint, hint),
        )
    return None


def _words(text: str) -> list[str]:
    """An email and its parts ("alice.smith@example.com" -> the address, alice, smith...)."""
    text = (text or "").strip().lower()
    if not text:
        return []
    local, _, domain = text.partition("@")
    parts = [text, local, *local.replace("_", ".").replace("-", ".").split("."), domain]
    return [p for p in dict.fromkeys(parts) if len(p) >= 3]


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
