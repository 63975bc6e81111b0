"""Unit tests of the socket's door, the event payload check, the feed token and the log scrub
(no running app: the end-to-end attack is tests/security/test_socket.py)."""

from __future__ import annotations

import logging
import random
import uuid
from typing import Any

import pytest

from exstrat_app.infra.logging import RedactingFilter, redact_text
from exstrat_app.state import guard
from exstrat_app.state.feed import feed_token
from tests.asyncrun import run as run_coroutine

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlLXNpZw"


def frontend_token(rng: random.Random) -> str:
    """Reflex's `generateUUID` (state.js): variant digit (r & 7) | 8, so 8-f."""
    out = []
    for c in "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx":
        r = rng.randrange(16)
        out.append(c if c in "-4" else format(r if c == "x" else (r & 7) | 8, "x"))
    return "".join(out)


def test_client_tokens_are_what_reflex_makes_and_nothing_else() -> None:
    rng = random.Random(7)
    assert all(guard.is_client_token(frontend_token(rng)) for _ in range(2000))
    assert all(guard.is_client_token(str(uuid.uuid4())) for _ in range(200))
    for bad in (
        "user-0123456789abcdef0123456789abcdef",
        feed_token("0123456789abcdef"),
        "",
        "../../etc",
        str(uuid.uuid4()).upper(),
        str(uuid.uuid4()) + "x",
        "0a1b2c3d-1111-1abc-8abc-0123456789ab",  # not version 4
    ):
        assert not guard.is_client_token(bad), bad


def test_the_feed_token_is_not_a_function_of_the_id_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    from exstrat_app.settings import get_settings

    token = feed_token("abc123")
    assert token.startswith("feed-") and "_" not in token and "abc123" not in token
    assert token == feed_token("abc123") != feed_token("abc124")
    monkeypatch.setattr(get_settings(), "jwt_secret", "another secret entirely")
    assert feed_token("abc123") != token


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"value": "a\x00b"}, guard.UNSTORABLE_MESSAGE),
        ({"value": "\ud800"}, guard.UNSTORABLE_MESSAGE),
        ({"form": {"name\x00": "x"}}, guard.UNSTORABLE_MESSAGE),
        ({"value": "x" * (guard.MAX_TEXT + 1)}, guard.TOO_LONG_MESSAGE),
        ({"steps": [{"pct": "1" * 4000} for _ in range(20)]}, guard.TOO_LARGE_MESSAGE),
        ({"deep": [[[[["\x00"]]]]]}, guard.UNSTORABLE_MESSAGE),
    ],
)
def test_payloads_the_database_cannot_hold_or_too_big_are_refused(
    payload: dict[str, Any], message: str
) -> None:
    assert guard.payload_problem(payload) == message


def test_ordinary_payloads_pass() -> None:
    assert guard.payload_problem({}) is None
    assert guard.payload_problem({"index": 2, "field": "pct", "value": "12.5"}) is None
    assert guard.payload_problem({"value": "é" * guard.MAX_TEXT, "flag": True}) is None


class Inner:
    def __init__(self) -> None:
        self.scope: dict[str, Any] | None = None
        self.session_seen = ""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.scope = scope
        token = dict(pair.split("=") for pair in scope["query_string"].decode().split("&"))
        self.session_seen = guard.connection_session(token["token"])
        new = str(uuid.uuid4())
        await send({"type": "websocket.send", "text": f'42/_event,["new_token","{new}"]'})
        assert guard.connection_session(new) == self.session_seen


def socket_scope(token: str, cookie: str = "") -> dict[str, Any]:
    headers = [(b"host", b"localhost"), (b"origin", b"http://localhost")]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    headers.append((b"authorization", b"Bearer " + JWT.encode()))
    return {
        "type": "websocket",
        "path": "/_event/",
        "query_string": f"EIO=4&transport=websocket&token={token}".encode(),
        "headers": headers,
        "client": ("203.0.113.9", 5000),
    }


def run_door(scope: dict[str, Any]) -> tuple[Inner, list[dict[str, Any]]]:
    inner, sent = Inner(), []

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    run_coroutine(guard.SocketDoor(inner)(scope, receive, send))
    return inner, sent


def test_the_door_refuses_a_foreign_token_before_reflex_sees_it() -> None:
    inner, sent = run_door(socket_scope("user-0123456789abcdef"))
    assert inner.scope is None
    assert sent == [{"type": "websocket.close", "code": 1008}]


def test_the_door_keeps_the_cookie_out_of_reflex_and_in_memory_for_the_connection() -> None:
    token = str(uuid.uuid4())
    inner, _sent = run_door(socket_scope(token, cookie=f"a=1; exstrat_session={JWT}; b=2"))
    assert inner.scope is not None
    names = {name for name, _ in inner.scope["headers"]}
    assert b"cookie" not in names and b"authorization" not in names and b"host" in names
    assert inner.session_seen == JWT  # during the connection
    assert guard.connection_session(token) == ""  # and gone with it
    assert not guard._CONNECTIONS


def test_other_paths_pass_untouched() -> None:
    inner, _ = Inner(), None
    scope = {"type": "http", "path": "/api/me", "headers": [(b"cookie", b"x=1")]}
    seen: list[Any] = []

    async def app(s: Any, r: Any, w: Any) -> None:
        seen.append(s)

    run_coroutine(guard.SocketDoor(app)(scope, None, None))  # type: ignore[arg-type]
    assert seen == [scope]
    del inner


def test_log_lines_lose_tokens_cookies_and_event_dumps() -> None:
    event_dump = (
        "Error processing event queue entry for Event(name='x.y', router_data={'headers': "
        f"{{'cookie': 'exstrat_session={JWT}'}}}}, payload={{'value': 'secret-payload'}}) [txid=1]:"
    )
    for text in (event_dump, f"Authorization: Bearer {JWT}", f"cookie=exstrat_session={JWT}"):
        scrubbed = redact_text(text)
        assert JWT not in scrubbed and "secret-payload" not in scrubbed, scrubbed
    assert redact_text("Event data: {'name': 'a', 'payload': {'v': 'p'}}").endswith("[redacted]")

    record = logging.LogRecord(
        "reflex", logging.ERROR, __file__, 1, "event %s", (event_dump,), None
    )
    assert RedactingFilter().filter(record)
    assert JWT not in record.getMessage() and "secret-payload" not in record.getMessage()
