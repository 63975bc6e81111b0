"""Which session each open socket signed in with, readable from every web worker (issue 12).

The socket's door (state/guard.py) keeps the cookie of *its own* connections in its process's
memory: the event handlers of a socket run in the process that holds it. But the alert relay
(state/feed_relay.py) takes each alert in one worker only and must tell, for every tab linked
to the feed, whether that tab is still signed in as the feed's owner, also for tabs whose
socket another worker holds. So the door also records each signed-in connection in Redis:

    door:<sha256 of the client token>  ->  "<connection nonce>{"uid", "jti", "exp"}"

the claims of a cookie whose signature and expiry verified at the handshake, never the cookie
(a Redis reader cannot sign in with it), under a hashed key (the client token is what lets a
socket load a tab's state), expiring with the session itself. Whoever reads it still asks the
database about revocation (`auth.verify_session_claims`). A connection closing or signing
out deletes its record only if it is still its own (a reconnect elsewhere may have replaced
it: compare-and-delete on the nonce).

Without Redis (it is down: the embedded one is always started by `up`) the record is skipped
with a warning and the local memory still answers for this worker's own sockets.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from dataclasses import dataclass

from redis import Redis
from redis.exceptions import RedisError

from exstrat_app.services import auth
from exstrat_app.services.errors import Unauthorized
from exstrat_app.settings import Settings

log = logging.getLogger(__name__)

KEY_PREFIX = "door:"
NONCE_CHARS = 32

# Delete only a record this connection wrote (its nonce opens the value).
_WITHDRAW = """
local v = redis.call('get', KEYS[1])
if v and string.sub(v, 1, string.len(ARGV[1])) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


@dataclass(frozen=True)
class DoorSession:
    """The claims of a session cookie whose signature and expiry verified at the handshake."""

    user_id: str
    jti: str
    expires_at: int  # unix seconds

    def live(self, now: float | None = None) -> bool:
        return self.expires_at > (time.time() if now is None else now)


def new_nonce() -> str:
    return uuid.uuid4().hex


def identity_of(settings: Settings, session_token: str) -> DoorSession | None:
    """The verified claims of a cookie (no database), or None (none, forged, expired)."""
    if not session_token:
        return None
    try:
        claims = auth.decode_session_token(settings, session_token)
        return DoorSession(str(claims["sub"]), str(claims["jti"]), int(claims["exp"]))
    except (Unauthorized, KeyError, TypeError, ValueError):
        return None


def record_key(client_token: str) -> str:
    return KEY_PREFIX + hashlib.sha256(client_token.encode()).hexdigest()


def publish(redis: Redis, client_token: str, nonce: str, identity: DoorSession) -> None:
    """Record a signed-in connection until its session expires (best effort)."""
    ttl = int(identity.expires_at - time.time())
    if ttl <= 0:
        return
    body = json.dumps({"uid": identity.user_id, "jti": identity.jti, "exp": identity.expires_at})
    try:
        redis.set(record_key(client_token), nonce + body, ex=ttl)
    except RedisError:
        log.warning("socket session not shared with other web workers: Redis unavailable")


def withdraw(redis: Redis, client_token: str, nonce: str) -> None:
    """Delete this connection's record, if it is still its own (best effort)."""
    try:
        redis.eval(_WITHDRAW, 1, record_key(client_token), nonce)
    except RedisError:
        log.warning("socket session record left to expire: Redis unavailable")


def lookup(redis: Redis, client_token: str) -> DoorSession | None:
    """The session another worker's connection recorded for this client token, or None."""
    try:
        raw = redis.get(record_key(client_token))
    except RedisError:
        log.warning("socket session look-up failed: Redis unavailable")
        return None
    if not raw:
        return None
    text = raw.decode() if isinstance(raw, bytes) else str(raw)
    try:
        data = json.loads(text[NONCE_CHARS:])
        found = DoorSession(str(data["uid"]), str(data["jti"]), int(data["exp"]))
    except (ValueError, KeyError, TypeError):
        return None
    return found if found.live() else None
