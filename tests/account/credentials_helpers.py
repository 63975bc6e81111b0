"""What the credential tests read and set up: the emails in the outbox, the links in them,
a session's /api/me status, two-factor sign-in switched on."""

from __future__ import annotations

import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pyotp

from exstrat_app.infra.db.types import utcnow
from exstrat_app.services.auth import totp

RESET_LINK = re.compile(r"(https?://\S+)/reset\?token=([A-Za-z0-9_-]+)")
EMAIL_LINK = re.compile(r"(https?://\S+)/api/auth/email/confirm\?token=([A-Za-z0-9_-]+)")


def mails_to(outbox: Path, email: str) -> list[EmailMessage]:
    """The emails written for `email`, oldest first."""
    paths = sorted(outbox.glob("*.eml")) if outbox.exists() else []
    parsed = [BytesParser(policy=policy.default).parsebytes(p.read_bytes()) for p in paths]
    return [m for m in parsed if m["To"] == email]  # type: ignore[misc]


def texts_to(outbox: Path, email: str) -> list[str]:
    return [str(m.get_content()) for m in mails_to(outbox, email)]


def tokens_in(outbox: Path, email: str, link: re.Pattern[str]) -> list[str]:
    """The tokens of every link of this kind mailed to `email`, oldest first."""
    return [m.group(2) for text in texts_to(outbox, email) for m in link.finditer(text)]


def me_status(client: Any, token: str) -> int:
    """/api/me's status for this session cookie alone."""
    client.cookies.clear()
    client.cookies.set("exstrat_session", token)
    return int(client.get("/api/me").status_code)


def two_factor_on(db: Any, box: Any, user: Any) -> str:
    """Turn two-factor sign-in on for `user` (as a confirmed enrolment leaves it); the seed."""
    secret = pyotp.random_base32(length=32)
    user.totp_secret_enc = box.seal(secret, row_id=user.id, column=totp.SEALED_AS)
    user.totp_key_id = box.current_key_id
    user.totp_enabled_at = utcnow()
    db.add(user)
    db.commit()
    totp.new_recovery_codes(db, user.id)
    db.commit()
    return secret


def clear_limits(redis: Any) -> None:
    """Forget every rate-limit count (the `limits` keys), as if an hour had passed."""
    for key in redis.scan_iter("LIMITS*"):
        redis.delete(key)
