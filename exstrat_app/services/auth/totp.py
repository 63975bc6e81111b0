"""Two-factor sign-in with time-based one-time passwords (RFC 6238, `pyotp`), per user, optional.

Enrolment: `start_enrolment` asks for the password again (`reauth`: a stolen session must not
enrol its own authenticator and lock the owner out), ends the user's other sessions, makes a
160-bit secret, seals it on the user's row with the secret box (AES-GCM, the user id as
associated data, `totp_key_id` names the key, as for exchange keys) and returns it with its
`otpauth://` URI for an authenticator app; nothing is on yet.
`confirm_enrolment` checks a first code from the app, turns two-factor on and returns
`RECOVERY_CODE_COUNT` recovery codes, shown once: only their SHA-256 is kept.

Sign-in: after the right password, a user with two-factor on must give `verify_code` a 6-digit
code (the current 30-s step or one either side) or an unused recovery code. A code's time step
must be later than the last one accepted (`totp_last_step`, moved by a conditional UPDATE, so
the same code is refused a second time even by two requests at once); a recovery code is spent
by a conditional UPDATE too. Wrong codes count per user in Redis: after `MAX_FAILURES` in
`FAILURE_WINDOW_SECONDS` every code is refused until the window ends (only someone who has
the password can get that far).

`disable` needs the password and a code; `regenerate_recovery_codes` the password and a
current code from the app (old recovery codes die, the new ones are shown once). The caller
owns the unit of work: these add, update and flush, never commit.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import pyotp
import segno
from redis import Redis
from sqlalchemy import delete, func, update
from sqlmodel import Session, select

from exstrat_app.i18n import N_
from exstrat_app.infra.crypto import SecretBox, SecretUnreadable
from exstrat_app.infra.db.types import utcnow
from exstrat_app.models import RecoveryCode, User
from exstrat_app.services.auth.passwords import verify_password
from exstrat_app.services.auth.reauth import SensitivePasswordThrottle, confirm_password
from exstrat_app.services.auth.sessions import end_other_sessions
from exstrat_app.services.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    TooManyRequests,
    Unauthorized,
)

log = logging.getLogger(__name__)

ISSUER = "exstrat"
DIGITS = 6
INTERVAL_SECONDS = 30
VALID_WINDOW = 1  # steps accepted either side of the current one (clock drift)
RECOVERY_CODE_COUNT = 10
RECOVERY_GROUPS, RECOVERY_GROUP_CHARS = 4, 4  # "abcd-efgh-jkmn-pqrs": 16 symbols, 80 bits
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz023456789"  # 32 symbols: no i, l, o, 1
MAX_FAILURES = 20
FAILURE_WINDOW_SECONDS = 24 * 3600
SEALED_AS = "totp_secret"  # the associated data: "<user id>:totp_secret"

WRONG_CODE = N_(
    "That code is not right, or it was already used. Try the newest code from your app."
)
CODE_REQUIRED = N_("Enter the 6-digit code from your authenticator app, or a recovery code.")
APP_CODE_REQUIRED = N_("Enter the current 6-digit code from your authenticator app.")
TOO_MANY = N_("Too many wrong codes; wait a while, then sign in again.")
NOT_STARTED = N_("Start the set-up again: no two-factor secret is waiting for confirmation.")
ALREADY_ON = N_("Two-factor sign-in is already on; turn it off first to set it up again.")
NOT_ON = N_("Two-factor sign-in is not on for this account.")
DEMO_REFUSED = N_("The demo account is shared: it cannot have two-factor sign-in.")
WRONG_PASSWORD = N_("The password is not right.")


@dataclass(frozen=True)
class Enrolment:
    secret: str  # base32, for typing into an app
    uri: str  # otpauth://totp/exstrat:<email>?secret=…&issuer=exstrat


@dataclass(frozen=True)
class TotpStatus:
    enabled: bool
    enabled_at: datetime | None
    recovery_codes_left: int


def qr_data_uri(uri: str) -> str:
    """The otpauth URI as a QR code, an SVG `data:` URI (an <img> src) for the app to scan."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=5, border=2))


def is_enabled(user: User) -> bool:
    return user.totp_enabled_at is not None and user.totp_secret_enc is not None


def _user(session: Session, user_id: str) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(N_("User not found."))
    return user


def _otp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL_SECONDS, issuer=ISSUER)


def _secret(user: User, box: SecretBox) -> str:
    if user.totp_secret_enc is None or user.totp_key_id is None:
        raise InvalidInput(NOT_STARTED)
    return box.open(user.totp_secret_enc, key_id=user.totp_key_id, row_id=user.id, column=SEALED_AS)


def _clean(code: str) -> str:
    return "".join(ch for ch in (code or "") if ch not in " -\t").lower()


def _is_totp_shape(cleaned: str) -> bool:
    return len(cleaned) == DIGITS and cleaned.isascii() and cleaned.isdigit()


def _recovery_hash(user_id: str, cleaned: str) -> str:
    return hashlib.sha256(f"exstrat-recovery:{user_id}:{cleaned}".encode()).hexdigest()


def _failure_key(user_id: str) -> str:
    # The key holds a digest: a user id is not written in Redis key names.
    return "totp-fail:" + hashlib.sha256(user_id.encode()).hexdigest()[:32]


# ---------------------------------------------------------------- enrolment


def start_enrolment(
    session: Session,
    box: SecretBox,
    user_id: str,
    *,
    password: str,
    throttle: SensitivePasswordThrottle | None,
    keep_jti: str,
) -> Enrolment:
    """A new secret, sealed on the user's row (not yet on): the app adds it, then confirm.
    Needs the password (`reauth.confirm_password`, wrong ones counted in `throttle`); ends
    every other session of the user, keeping the one whose `jti` is `keep_jti`."""
    user = _user(session, user_id)
    if user.is_demo:
        raise Conflict(DEMO_REFUSED)
    if is_enabled(user):
        raise Conflict(ALREADY_ON)
    confirm_password(session, user_id, password, throttle=throttle)
    end_other_sessions(session, user_id, keep_jti=keep_jti)
    secret = pyotp.random_base32(length=32)
    user.totp_secret_enc = box.seal(secret, row_id=user.id, column=SEALED_AS)
    user.totp_key_id = box.current_key_id
    user.totp_enabled_at = None
    user.totp_last_step = None
    session.add(user)
    session.flush()
    return Enrolment(secret=secret, uri=_otp(secret).provisioning_uri(name=user.email))


def confirm_enrolment(
    session: Session, box: SecretBox, user_id: str, code: str, *, now: float | None = None
) -> list[str]:
    """Turn two-factor on with a first code from the app; the recovery codes (shown once)."""
    user = _user(session, user_id)
    if is_enabled(user):
        raise Conflict(ALREADY_ON)
    secret = _secret(user, box)
    step = _matching_step(secret, _clean(code), last_step=None, now=now)
    if step is None:
        raise InvalidInput(WRONG_CODE, fields={"code": WRONG_CODE})
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step
    session.add(user)
    session.flush()
    return new_recovery_codes(session, user.id)


def new_recovery_codes(session: Session, user_id: str) -> list[str]:
    """Replace the user's recovery codes with `RECOVERY_CODE_COUNT` new ones (plain, once)."""
    session.exec(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))  # type: ignore[call-overload]
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        symbols = "".join(
            secrets.choice(_RECOVERY_ALPHABET)
            for _ in range(RECOVERY_GROUPS * RECOVERY_GROUP_CHARS)
        )
        codes.append(
            "-".join(
                symbols[i : i + RECOVERY_GROUP_CHARS]
                for i in range(0, len(symbols), RECOVERY_GROUP_CHARS)
            )
        )
        session.add(RecoveryCode(user_id=user_id, code_hash=_recovery_hash(user_id, symbols)))
    session.flush()
    return codes


def disable(
    session: Session,
    box: SecretBox,
    redis: Redis,
    user_id: str,
    *,
    password: str,
    code: str,
    now: float | None = None,
) -> None:
    """Turn two-factor off: the password and a code (or a recovery code) are both needed."""
    user = _user(session, user_id)
    if not is_enabled(user):
        raise Conflict(NOT_ON)
    if not verify_password(password or "", user.password_hash):
        raise Unauthorized(WRONG_PASSWORD, fields={"password": WRONG_PASSWORD})
    verify_code(session, box, redis, user_id, code, now=now)
    user.totp_secret_enc = None
    user.totp_key_id = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    session.add(user)
    session.exec(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))  # type: ignore[call-overload]
    session.flush()


def regenerate_recovery_codes(
    session: Session,
    box: SecretBox,
    redis: Redis,
    user_id: str,
    *,
    password: str,
    code: str,
    now: float | None = None,
) -> list[str]:
    """New recovery codes (shown once); every old one, used or not, dies. Needs the password
    and a current code from the app: a recovery code is refused here, so one stolen code
    cannot mint ten more."""
    user = _user(session, user_id)
    if not is_enabled(user):
        raise Conflict(NOT_ON)
    if not verify_password(password or "", user.password_hash):
        raise Unauthorized(WRONG_PASSWORD, fields={"password": WRONG_PASSWORD})
    if not _is_totp_shape(_clean(code)):
        raise InvalidInput(APP_CODE_REQUIRED, fields={"code": APP_CODE_REQUIRED})
    verify_code(session, box, redis, user_id, code, now=now)
    return new_recovery_codes(session, user_id)


def status(session: Session, user_id: str) -> TotpStatus:
    user = _user(session, user_id)
    left = session.exec(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))  # type: ignore[union-attr]
    ).one()
    return TotpStatus(
        enabled=is_enabled(user),
        enabled_at=user.totp_enabled_at,
        recovery_codes_left=int(left) if is_enabled(user) else 0,
    )


def reseal_secrets(sessions: Callable[[], Session], box: SecretBox) -> int:
    """Key rotation (`rotate-keys`): seal again with the box's current key every two-factor
    secret sealed with an old one; how many. Commits each row on its own, like the exchange
    keys; a secret no configured key opens is logged and left (its owner uses a recovery code,
    then sets two-factor up again)."""
    count = 0
    with sessions() as session:
        stale = session.exec(
            select(User).where(
                User.totp_secret_enc.is_not(None),  # type: ignore[union-attr]
                User.totp_key_id != box.current_key_id,
            )
        ).all()
        for user in stale:
            try:
                secret = _secret(user, box)
            except SecretUnreadable:
                log.error("user %s: no configured key opens the two-factor secret", user.id)
                continue
            user.totp_secret_enc = box.seal(secret, row_id=user.id, column=SEALED_AS)
            user.totp_key_id = box.current_key_id
            session.add(user)
            session.commit()
            count += 1
    return count


# ---------------------------------------------------------------- the second step


def _matching_step(
    secret: str, cleaned: str, *, last_step: int | None, now: float | None
) -> int | None:
    """The time step (within the window) whose code this is and that is later than last_step."""
    if not _is_totp_shape(cleaned):
        return None
    otp = _otp(secret)
    current = int((time.time() if now is None else now) // INTERVAL_SECONDS)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(otp.at(step * INTERVAL_SECONDS), cleaned):
            return step
    return None


def _accept_totp(
    session: Session, user: User, secret: str, cleaned: str, now: float | None
) -> bool:
    step = _matching_step(secret, cleaned, last_step=user.totp_last_step, now=now)
    if step is None:
        return False
    # Conditional: of two requests with the same code, only one moves the step on.
    moved = session.exec(  # type: ignore[call-overload]
        update(User)
        .where(
            User.id == user.id,  # type: ignore[arg-type]
            (User.totp_last_step.is_(None)) | (User.totp_last_step < step),  # type: ignore[union-attr,operator]
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        return False
    user.totp_last_step = step
    return True


def _accept_recovery(session: Session, user: User, cleaned: str) -> bool:
    if len(cleaned) != RECOVERY_GROUPS * RECOVERY_GROUP_CHARS:
        return False
    spent = session.exec(  # type: ignore[call-overload]
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,  # type: ignore[arg-type]
            RecoveryCode.code_hash == _recovery_hash(user.id, cleaned),  # type: ignore[arg-type]
            RecoveryCode.used_at.is_(None),  # type: ignore[union-attr]
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(spent.rowcount == 1)


def verify_code(
    session: Session,
    box: SecretBox,
    redis: Redis,
    user_id: str,
    code: str,
    *,
    now: float | None = None,
) -> str:
    """Check a second-factor code for a user with two-factor on: "totp" or "recovery" (the
    kind accepted), else Unauthorized (wrong, replayed, spent) or TooManyRequests."""
    cleaned = _clean(code)
    if not cleaned:
        raise InvalidInput(CODE_REQUIRED, fields={"code": CODE_REQUIRED})
    if len(cleaned) > 64:
        raise Unauthorized(WRONG_CODE, fields={"code": WRONG_CODE})
    key = _failure_key(user_id)
    failures = int(redis.get(key) or 0)
    if failures >= MAX_FAILURES:
        raise TooManyRequests(TOO_MANY, retry_after=max(1, int(redis.ttl(key) or 1)))
    user = _user(session, user_id)
    if not is_enabled(user):
        raise Unauthorized(NOT_ON)
    if _is_totp_shape(cleaned):
        accepted = "totp" if _accept_totp(session, user, _secret(user, box), cleaned, now) else ""
    else:
        accepted = "recovery" if _accept_recovery(session, user, cleaned) else ""
    if not accepted:
        if int(redis.incr(key)) == 1:  # the window starts at the first failure
            redis.expire(key, FAILURE_WINDOW_SECONDS)
        raise Unauthorized(WRONG_CODE, fields={"code": WRONG_CODE})
    redis.delete(key)
    return accepted
