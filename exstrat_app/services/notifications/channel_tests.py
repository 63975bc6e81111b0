"""A channel's test send goes through the queue: the request answers at once, a worker sends.

Sending while the person waits tied a web worker to whatever the destination does (a slow
push service, an ntfy URL with hundreds of topics). So (docs/outbound.md):
- `request_test` marks the channel `queued` with a fresh token and enqueues
  `channel-test-{channel}-{token}`; per user at most one test is on its way
  (`MAX_TESTS_IN_FLIGHT`) and `TESTS_PER_MINUTE` may be asked for in a minute;
- `run_test` (the job) sends through the outbound guard within the sender's deadline, under
  an RQ job timeout that ends the work-horse if anything still hangs, and records `sent` or
  `failed` with words that never carry what the remote answered;
- only the job holding the channel's current token writes the result: a newer test wins.
"""

from __future__ import annotations

import logging
import secrets

from limits import parse
from limits.storage import Storage
from limits.strategies import MovingWindowRateLimiter
from redis import Redis
from redis.exceptions import RedisError
from rq.timeouts import JobTimeoutException
from sqlalchemy import update
from sqlmodel import Session, col, select

from exstrat_app.i18n import N_, _, render, use_locale
from exstrat_app.infra.apprise_sender import TOO_SLOW, AppriseFailed, AppriseRefused
from exstrat_app.infra.crypto import SecretBox, SecretUnreadable
from exstrat_app.infra.db.types import utcnow
from exstrat_app.infra.queue import CHANNEL_TEST_JOB, enqueue_unique, safe_job_id
from exstrat_app.infra.webpush import PushFailed, PushRefused
from exstrat_app.models import Channel
from exstrat_app.services.auth.throttle import retry_after_seconds
from exstrat_app.services.errors import Conflict, ServiceError, TooManyRequests
from exstrat_app.services.notifications.channels import (
    TEST_STALE_AFTER,
    ChannelView,
    SendConfig,
    owned_channel,
    send_to_channel,
    view_of,
)
from exstrat_app.services.notifications.delivery import SessionFactory
from exstrat_app.services.notifications.wording import recipient_locale

log = logging.getLogger(__name__)

TEST_TITLE = N_("exstrat test")
TEST_BODY = N_("This channel works: exstrat alerts will reach you here.")
TESTS_PER_MINUTE = "5/minute"
MAX_TESTS_IN_FLIGHT = 1
# RQ ends the job after this (a signal interrupts even a read a remote trickles out); the
# sender's own deadline, after which no connection opens, is shorter.
TEST_JOB_TIMEOUT = 20
QUEUED, SENT, FAILED = "queued", "sent", "failed"
SENT_WORDS = N_("The test message was delivered.")


class QueueUnavailable(ServiceError):
    status = 503
    code = "queue_unavailable"


class TestRequests:
    """Per-user count of test sends asked for, in the rate limits' shared storage."""

    def __init__(self, storage: Storage, *, per_minute: str = TESTS_PER_MINUTE) -> None:
        self.limiter = MovingWindowRateLimiter(storage)
        self.item = parse(per_minute)

    def take(self, user_id: str) -> None:
        ids = ("channel-test", user_id)
        if not self.limiter.hit(self.item, *ids):
            wait = retry_after_seconds(self.limiter, self.item, *ids)
            raise TooManyRequests(
                N_("Too many channel tests: try again in {wait} s.", wait=wait), retry_after=wait
            )


def test_job_id(channel_id: str, token: str) -> str:
    return safe_job_id("channel-test", channel_id, token)


def _in_flight(session: Session, user_id: str) -> int:
    since = utcnow() - TEST_STALE_AFTER
    rows = session.exec(
        select(Channel.id).where(
            Channel.user_id == user_id,
            Channel.test_state == QUEUED,
            col(Channel.test_requested_at) > since,
        )
    ).all()
    return len(rows)


def request_test(
    session: Session, redis: Redis, requests: TestRequests, *, user_id: str, channel_id: str
) -> ChannelView:
    """Queue a test send of one of the user's channels; the view says `queued`. 409 while
    another test is on its way, 429 past the per-minute allowance, 503 without a queue.
    The caller commits."""
    channel = owned_channel(session, user_id, channel_id)
    if _in_flight(session, user_id) >= MAX_TESTS_IN_FLIGHT:
        raise Conflict(N_("A test is already on its way: wait for its result, then try again."))
    requests.take(user_id)
    token = secrets.token_hex(8)
    channel.test_state, channel.test_token = QUEUED, token
    channel.test_message, channel.test_done_at = None, None
    channel.test_requested_at = utcnow()
    session.add(channel)
    session.flush()
    try:
        enqueue_unique(
            "notify",
            CHANNEL_TEST_JOB,
            channel.id,
            token,
            job_id=test_job_id(channel.id, token),
            connection=redis,
            timeout=TEST_JOB_TIMEOUT,
        )
    except RedisError:
        raise QueueUnavailable(
            N_("The test could not be queued (the queue is unreachable): try again shortly.")
        ) from None
    return view_of(channel)


def _record(sessions: SessionFactory, channel_id: str, token: str, state: str, words: str) -> bool:
    with sessions() as session, session.begin():
        result = session.execute(
            update(Channel)
            .where(col(Channel.id) == channel_id, col(Channel.test_token) == token)
            .values(test_state=state, test_message=words[:300], test_done_at=utcnow())
        )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _why(exc: BaseException) -> object:
    """Our sender's words for a failure (a message, rendered in the reader's language)."""
    return exc.args[0] if exc.args else type(exc).__name__


def _words(exc: Exception) -> tuple[str, str]:
    """The state and the words (in the current language) of a test that raised."""
    if isinstance(exc, AppriseRefused | PushRefused):
        return FAILED, _("The test was not sent: {reason}.", reason=_why(exc))
    if isinstance(exc, SecretUnreadable):
        return FAILED, _("The test did not go through: add this channel again.")
    # Our senders' words only: never what the remote answered.
    return FAILED, _("The test did not go through: {reason}.", reason=_why(exc))


def run_test(
    channel_id: str, token: str, *, sessions: SessionFactory, box: SecretBox, config: SendConfig
) -> str:
    """The job's work: send the test message and record how it went, in the words and the
    language of the channel's owner; returns the state."""
    with sessions() as session:
        channel = session.get(Channel, channel_id)
        if channel is None or channel.test_token != token:
            return "superseded"
        locale = recipient_locale(session, channel.user_id)
        session.expunge(channel)
    with use_locale(locale):
        title, body = render(TEST_TITLE), render(TEST_BODY)
        try:
            send_to_channel(channel, box, config, title=title, body=body, url="/channels")
        except (AppriseRefused, PushRefused, PushFailed, AppriseFailed, SecretUnreadable) as exc:
            state, words = _words(exc)
        except JobTimeoutException:
            words = _("The test did not go through: {reason}.", reason=TOO_SLOW)
            _record(sessions, channel_id, token, FAILED, words)
            raise
        else:
            state, words = SENT, render(SENT_WORDS)
    _record(sessions, channel_id, token, state, words)
    log.info("channel test %s: %s", channel_id, state)
    return state
