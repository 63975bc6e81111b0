"""Two-factor sign-in, the use cases (services/auth/totp.py, second_step.py): enrolment,
the ±1 step window, replay refused, recovery codes single use, the failure limits."""

from __future__ import annotations

import time

import pyotp
import pytest
from sqlmodel import select

from exstrat_app.infra.crypto import SecretBox
from exstrat_app.models import RecoveryCode, User
from exstrat_app.services.auth import second_step, totp
from exstrat_app.services.errors import Conflict, InvalidInput, TooManyRequests, Unauthorized
from tests.api.conftest import PASSWORD, password_hash

NOW = 1_800_000_000.0  # a fixed clock, on a step boundary (1_800_000_000 / 30 is whole)
STEP = int(NOW // 30)


@pytest.fixture
def box() -> SecretBox:
    return SecretBox((b"\x22" * 32,))


@pytest.fixture
def user(db) -> User:
    u = User(email="totp@example.com", password_hash=password_hash(PASSWORD))
    db.add(u)
    db.commit()
    return u


def code_at(secret: str, step: int) -> str:
    return pyotp.TOTP(secret).at(step * 30)


def start(db, box, user_id: str) -> totp.Enrolment:
    """Set-up with the right password (no throttle: these test the two-factor use cases)."""
    return totp.start_enrolment(db, box, user_id, password=PASSWORD, throttle=None, keep_jti="")


def enrol(db, box, user) -> tuple[str, list[str]]:
    enrolment = start(db, box, user.id)
    codes = totp.confirm_enrolment(db, box, user.id, code_at(enrolment.secret, STEP), now=NOW)
    db.commit()
    return enrolment.secret, codes


def test_enrolment_seals_the_secret_and_gives_an_otpauth_uri(db, box, user):
    enrolment = start(db, box, user.id)
    db.commit()
    assert len(enrolment.secret) == 32
    assert enrolment.uri.startswith("otpauth://totp/exstrat:totp%40example.com?secret=")
    assert "issuer=exstrat" in enrolment.uri
    row = db.get(User, user.id)
    assert row.totp_secret_enc and enrolment.secret.encode() not in row.totp_secret_enc
    assert row.totp_key_id == box.current_key_id
    assert row.totp_enabled_at is None and not totp.is_enabled(row)  # not on until confirmed
    # Sealed for this row: under another user's id it does not open.
    with pytest.raises(Exception, match="authentication"):
        box.open(row.totp_secret_enc, key_id=row.totp_key_id, row_id="other", column="totp_secret")


def test_confirm_needs_a_right_code_then_gives_ten_single_use_recovery_codes(db, box, user):
    enrolment = start(db, box, user.id)
    with pytest.raises(InvalidInput):
        totp.confirm_enrolment(db, box, user.id, wrong_code(enrolment.secret, STEP), now=NOW)
    codes = totp.confirm_enrolment(db, box, user.id, code_at(enrolment.secret, STEP), now=NOW)
    db.commit()
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(len(c) == 19 and c.count("-") == 3 for c in codes)
    stored = db.exec(select(RecoveryCode).where(RecoveryCode.user_id == user.id)).all()
    assert len(stored) == 10
    assert not {c.replace("-", "") for c in codes} & {r.code_hash for r in stored}  # hashes only
    assert totp.status(db, user.id).enabled
    assert totp.status(db, user.id).recovery_codes_left == 10
    with pytest.raises(Conflict):
        start(db, box, user.id)  # on already: turn it off first


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_a_code_one_step_either_side_is_accepted(db, box, user, redis, offset):
    secret, _ = enrol(db, box, user)
    later = NOW + 10 * 30  # ten steps after the enrolment
    code = code_at(secret, STEP + 10 + offset)
    assert totp.verify_code(db, box, redis, user.id, code, now=later) == "totp"


@pytest.mark.parametrize("offset", [-3, -2, 2, 3])
def test_a_code_two_or_more_steps_away_is_refused(db, box, user, redis, offset):
    secret, _ = enrol(db, box, user)
    later = NOW + 10 * 30
    code = code_at(secret, STEP + 10 + offset)
    if code in {code_at(secret, STEP + 10 + d) for d in (-1, 0, 1)}:
        pytest.skip("the codes of two steps collide (1 in 10^6)")
    with pytest.raises(Unauthorized):
        totp.verify_code(db, box, redis, user.id, code, now=later)


def test_the_same_code_is_refused_the_second_time(db, box, user, redis):
    secret, _ = enrol(db, box, user)
    later = NOW + 300
    code = code_at(secret, STEP + 10)
    assert totp.verify_code(db, box, redis, user.id, code, now=later) == "totp"
    db.commit()
    with pytest.raises(Unauthorized):
        totp.verify_code(db, box, redis, user.id, code, now=later)
    # An older step's code is refused too, even inside the window.
    with pytest.raises(Unauthorized):
        totp.verify_code(db, box, redis, user.id, code_at(secret, STEP + 9), now=later)
    # The enrolment's own code cannot sign in either.
    with pytest.raises(Unauthorized):
        totp.verify_code(db, box, redis, user.id, code_at(secret, STEP), now=NOW)


def test_a_recovery_code_works_once_in_any_spelling(db, box, user, redis):
    _, codes = enrol(db, box, user)
    spelled = " " + codes[3].upper().replace("-", " ") + " "
    assert totp.verify_code(db, box, redis, user.id, spelled, now=NOW) == "recovery"
    db.commit()
    with pytest.raises(Unauthorized):
        totp.verify_code(db, box, redis, user.id, codes[3], now=NOW)
    assert totp.status(db, user.id).recovery_codes_left == 9
    assert totp.verify_code(db, box, redis, user.id, codes[4], now=NOW) == "recovery"


def test_another_users_recovery_code_is_refused(db, box, user, redis):
    _, codes = enrol(db, box, user)
    bob = User(email="bob@example.com", password_hash=password_hash(PASSWORD))
    db.add(bob)
    db.commit()
    start(db, box, bob.id)  # a second start replaces the waiting secret
    secret_b = start(db, box, bob.id).secret
    totp.confirm_enrolment(db, box, bob.id, code_at(secret_b, STEP), now=NOW)
    db.commit()
    with pytest.raises(Unauthorized):
        totp.verify_code(db, box, redis, bob.id, codes[0], now=NOW)


def test_wrong_codes_are_limited_per_user(db, box, user, redis):
    enrol(db, box, user)
    for _ in range(totp.MAX_FAILURES):
        with pytest.raises(Unauthorized):
            totp.verify_code(db, box, redis, user.id, "abcd-abcd-abcd-abcd", now=NOW)
    with pytest.raises(TooManyRequests):
        totp.verify_code(db, box, redis, user.id, "123456", now=NOW)
    assert not [k for k in redis.keys("totp-fail:*") if user.id.encode() in k]  # a digest


def wrong_code(secret: str, step: int) -> str:
    """A 6-digit code that is none of the window's codes around `step`."""
    window = {code_at(secret, step + d) for d in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in window)


def test_disable_needs_the_password_and_a_code(db, box, user, redis):
    secret, codes = enrol(db, box, user)
    later = NOW + 300
    right = code_at(secret, STEP + 10)
    with pytest.raises(Unauthorized, match="password"):
        totp.disable(db, box, redis, user.id, password="wrong password", code=right, now=later)
    with pytest.raises(Unauthorized, match="code"):
        totp.disable(
            db, box, redis, user.id, password=PASSWORD, code=wrong_code(secret, STEP + 10),
            now=later,
        )  # fmt: skip
    with pytest.raises(InvalidInput):
        totp.disable(db, box, redis, user.id, password=PASSWORD, code="", now=later)
    totp.disable(db, box, redis, user.id, password=PASSWORD, code=codes[0], now=later)
    db.commit()
    row = db.get(User, user.id)
    db.refresh(row)
    assert row.totp_secret_enc is None and row.totp_enabled_at is None
    assert db.exec(select(RecoveryCode).where(RecoveryCode.user_id == user.id)).all() == []
    with pytest.raises(Conflict):
        totp.disable(db, box, redis, user.id, password=PASSWORD, code=right, now=later)


def test_demo_user_cannot_enrol(db, box):
    demo = User(email="demo@example.com", password_hash="x", is_demo=True)
    db.add(demo)
    db.commit()
    with pytest.raises(Conflict):
        start(db, box, demo.id)


def test_pending_ticket_spent_by_a_right_code_and_killed_after_five_wrong(db, box, user, redis):
    secret, _ = enrol(db, box, user)
    ticket = second_step.start_second_step(user_id=user.id, redis=redis)
    assert 0 < redis.ttl(second_step.PENDING_PREFIX + ticket) <= second_step.PENDING_TTL_SECONDS
    later = NOW + 300
    good = code_at(secret, STEP + 10)
    assert (
        second_step.finish_second_step(db, box, redis, ticket=ticket, code=good, now=later)
        == user.id
    )
    db.commit()
    with pytest.raises(Unauthorized):  # spent
        second_step.finish_second_step(db, box, redis, ticket=ticket, code=good, now=later)

    ticket = second_step.start_second_step(user_id=user.id, redis=redis)
    for _ in range(second_step.MAX_CODE_TRIES):
        with pytest.raises(Unauthorized):
            second_step.finish_second_step(
                db, box, redis, ticket=ticket, code="abcd-abcd-abcd-abcd", now=later
            )
    assert not redis.exists(second_step.PENDING_PREFIX + ticket)
    with pytest.raises(Unauthorized, match="sign in again"):
        second_step.finish_second_step(
            db, box, redis, ticket=ticket, code=code_at(secret, STEP + 11), now=later
        )
    with pytest.raises(Unauthorized):
        second_step.finish_second_step(db, box, redis, ticket="x" * 43, code=good, now=later)


def test_real_clock_code_from_pyotp_now(db, box, user, redis):
    enrolment = start(db, box, user.id)
    now = time.time()
    totp.confirm_enrolment(db, box, user.id, pyotp.TOTP(enrolment.secret).at(now), now=now)
    db.commit()
    nxt = pyotp.TOTP(enrolment.secret).at(now + 30)  # the next step: inside the window
    assert totp.verify_code(db, box, redis, user.id, nxt, now=now) == "totp"


def test_key_rotation_reseals_the_secret_and_codes_still_work(db, engine, box, user, redis):
    from exstrat_app.bootstrap import session_factory

    secret, _ = enrol(db, box, user)
    rotated = SecretBox((b"\x33" * 32, b"\x22" * 32))  # a new current key, the old one kept
    assert totp.reseal_secrets(session_factory(engine), rotated) == 1
    assert totp.reseal_secrets(session_factory(engine), rotated) == 0  # nothing left to do
    db.expire_all()
    row = db.get(User, user.id)
    assert row.totp_key_id == rotated.current_key_id
    only_new = SecretBox((b"\x33" * 32,))
    later = NOW + 300
    code = code_at(secret, STEP + 10)
    assert totp.verify_code(db, only_new, redis, user.id, code, now=later) == "totp"
