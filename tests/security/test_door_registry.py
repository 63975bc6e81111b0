"""The door's session map works across web workers (issue 12): a signed-in socket's claims
(never its cookie) are recorded in Redis under a hashed key, expire with the session, go with
the connection, and the alert relay of any worker reads them."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from typing import Any

from exstrat_app.infra.db.types import utcnow
from exstrat_app.models import RevokedToken, User
from exstrat_app.services import auth
from exstrat_app.settings import get_settings
from exstrat_app.state import door_registry, guard
from exstrat_app.state.feed_relay import still_owner
from tests.asyncrun import run as run_coroutine


def _user(db: Any, email: str = "door@example.com") -> User:
    user = User(email=email, password_hash="x")
    db.add(user)
    db.commit()
    return user


def _scope(token: str, cookie: str) -> dict[str, Any]:
    return {
        "type": "websocket",
        "path": "/_event/",
        "query_string": f"EIO=4&transport=websocket&token={token}".encode(),
        "headers": [(b"host", b"localhost"), (b"cookie", cookie.encode())],
        "client": ("203.0.113.9", 5000),
    }


def _run_door(scope: dict[str, Any], inner: Any) -> None:
    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    async def send(message: dict[str, Any]) -> None:
        return None

    run_coroutine(guard.SocketDoor(inner)(scope, receive, send))


def test_another_worker_sees_the_session_but_never_the_cookie(db, redis) -> None:
    user = _user(db)
    cookie = auth.issue_session_token(get_settings(), user_id=user.id)
    token = str(uuid.uuid4())
    seen: dict[str, Any] = {}

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        # What a second web worker (no local connection) reads while the socket is open.
        seen["other"] = door_registry.lookup(redis, token)
        seen["keys"] = [k.decode() for k in redis.keys("door:*")]
        seen["values"] = [redis.get(k).decode() for k in redis.keys("door:*")]
        seen["ttl"] = redis.ttl(seen["keys"][0])
        seen["owner"] = still_owner(token, user.id)

    _run_door(_scope(token, f"exstrat_session={cookie}"), inner)
    claims = auth.decode_session_token(get_settings(), cookie)
    assert seen["other"] == door_registry.DoorSession(user.id, claims["jti"], claims["exp"])
    assert seen["owner"] is True
    assert len(seen["keys"]) == 1 and token not in seen["keys"][0]  # hashed key
    assert cookie not in seen["values"][0] and cookie.split(".")[2] not in seen["values"][0]
    assert get_settings().jwt_ttl_seconds - 5 <= seen["ttl"] <= get_settings().jwt_ttl_seconds
    # Gone with the connection, for every worker.
    assert redis.keys("door:*") == []
    assert guard.connection_identity(token) is None and still_owner(token, user.id) is False


def test_no_record_for_a_cookieless_or_forged_socket(db, redis) -> None:
    records: list[Any] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        records.extend(redis.keys("door:*"))

    _run_door(_scope(str(uuid.uuid4()), "a=1"), inner)
    _run_door(_scope(str(uuid.uuid4()), "exstrat_session=eyJhbGciOiJIUzI1NiJ9.e30.c2ln"), inner)
    assert records == []


def test_the_relay_reads_a_record_and_still_asks_the_database(db, redis) -> None:
    user = _user(db)
    token, jti = str(uuid.uuid4()), "jti-" + uuid.uuid4().hex
    identity = door_registry.DoorSession(user.id, jti, int(time.time()) + 3600)
    door_registry.publish(redis, token, door_registry.new_nonce(), identity)
    assert still_owner(token, user.id) is True  # a socket of another worker
    assert still_owner(token, "someone-else") is False
    db.add(RevokedToken(jti=jti, expires_at=utcnow() + timedelta(hours=1)))
    db.commit()
    assert still_owner(token, user.id) is False  # signed out elsewhere: revoked


def test_a_closing_connection_leaves_its_successors_record(redis) -> None:
    token = str(uuid.uuid4())
    first, second = door_registry.new_nonce(), door_registry.new_nonce()
    identity = door_registry.DoorSession("u1", "j1", int(time.time()) + 60)
    door_registry.publish(redis, token, first, identity)
    door_registry.publish(redis, token, second, identity)  # a reconnect on another worker
    door_registry.withdraw(redis, token, first)  # the old connection's close
    assert door_registry.lookup(redis, token) == identity
    door_registry.withdraw(redis, token, second)
    assert door_registry.lookup(redis, token) is None
    # An expired session is not recorded at all.
    door_registry.publish(redis, token, first, door_registry.DoorSession("u", "j", 1))
    assert redis.keys("door:*") == []


def test_sign_out_on_the_connection_withdraws_the_record(db, redis) -> None:
    user = _user(db)
    cookie = auth.issue_session_token(get_settings(), user_id=user.id)
    token = str(uuid.uuid4())
    seen: list[Any] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        guard.forget_connection_session(token)  # what SessionState.logout does
        seen.append(door_registry.lookup(redis, token))
        seen.append(guard.connection_session(token))

    _run_door(_scope(token, f"exstrat_session={cookie}"), inner)
    assert seen == [None, ""]
