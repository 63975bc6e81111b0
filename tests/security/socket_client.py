"""A raw Socket.IO client speaking Reflex's event protocol, and the helpers the socket tests
use to make people, sessions and alerts in the running app (tests/security/conftest.py)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from typing import Any

import socketio
from reflex_base.utils.format import format_event_handler
from sqlmodel import Session, select

from exstrat_app.models import Notification, User
from exstrat_app.services.auth import issue_session_token
from exstrat_app.settings import Settings
from exstrat_app.state.alerts import AlertsState
from tests.asyncrun import run as run_coroutine
from tests.security.conftest import JWT_SECRET, SocketApp

NAMESPACE = "/_event"
HYDRATE = "reflex___state____state.hydrate"
SECRET_TITLE = "alice-secret-title-7f3a"


def name_of(handler: Any) -> str:
    return format_event_handler(handler)


def run(coro: Any) -> Any:
    return run_coroutine(coro)


async def wait_for(check: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


class Tab:
    """One raw Socket.IO client speaking Reflex's event protocol."""

    def __init__(self, app: SocketApp, *, cookie: str = "", token: str | None = None) -> None:
        self.app, self.cookie = app, cookie
        self.token = token or str(uuid.uuid4())
        self.sio = socketio.AsyncClient(reconnection=False)
        self.updates: list[str] = []
        self.sio.on("event", self._on_update, namespace=NAMESPACE)

    async def _on_update(self, data: Any) -> None:
        self.updates.append(json.dumps(data))

    def text(self) -> str:
        return "\n".join(self.updates)

    async def connect(self) -> None:
        headers = {"Origin": self.app.url}
        if self.cookie:
            headers["Cookie"] = f"exstrat_session={self.cookie}"
        await self.sio.connect(
            f"{self.app.url}?token={self.token}",
            socketio_path=NAMESPACE,
            namespaces=[NAMESPACE],
            transports=["websocket"],
            headers=headers,
            wait_timeout=10,
        )

    async def emit(self, name: str, payload: dict[str, Any] | None = None, path: str = "/") -> None:
        router = {"pathname": path, "asPath": path}
        if path.startswith("/tokens/"):
            router["query"] = {"symbol": path.rsplit("/", 1)[1]}
        event = {"name": name, "payload": payload or {}, "router_data": router}
        await self.sio.emit("event", event, namespace=NAMESPACE)

    async def close(self) -> None:
        await self.sio.disconnect()
        await self.shutdown()

    async def shutdown(self) -> None:
        """Close the client's HTTP session too (a refused connect leaves it open)."""
        http = self.sio.eio.http
        if http is not None and not http.closed:
            await http.close()


# ---------------------------------------------------------------- the people


def _settings() -> Settings:
    return Settings(JWT_SECRET=JWT_SECRET)


def make_user(app: SocketApp, email: str) -> str:
    with Session(app.engine) as db:
        found = db.exec(select(User).where(User.email == email)).first()
        if found is None:
            found = User(email=email, password_hash="x" * 60)
            db.add(found)
            db.commit()
        return str(found.id)


def sign_in(app: SocketApp, user_id: str) -> str:
    token = issue_session_token(_settings(), user_id=user_id)
    app.tokens.append(token)
    return token


def add_notifications(app: SocketApp, user_id: str, count: int) -> None:
    with Session(app.engine) as db:
        for i in range(count):
            db.add(Notification(user_id=user_id, title=f"{SECRET_TITLE}-{i}", body="b"))
        db.commit()


def unread(app: SocketApp, user_id: str) -> int:
    with Session(app.engine) as db:
        rows = db.exec(select(Notification).where(Notification.user_id == user_id)).all()
        return sum(1 for n in rows if n.read_at is None)


def publish_alert(app: SocketApp, user_id: str, title: str) -> None:
    from redis import Redis

    note = {"id": uuid.uuid4().hex, "title": title, "body": "b", "createdAt": "", "read": False}
    event = {"id": uuid.uuid4().hex, "type": "alert", "userId": user_id, "sentAt": time.time()}
    Redis.from_url(app.redis_url).publish(
        "exstrat:push", json.dumps({**event, "notification": note})
    )


def api(app: SocketApp, method: str, path: str, cookie: str = "") -> tuple[int, float]:
    body = b"" if method == "POST" else None
    request = urllib.request.Request(app.url + path, method=method, data=body)  # noqa: S310
    request.add_header("Origin", app.url)
    if cookie:
        request.add_header("Cookie", f"exstrat_session={cookie}")
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:  # noqa: S310 - localhost
            status = resp.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    return status, time.perf_counter() - started


async def linked_tab(app: SocketApp, cookie: str) -> Tab:
    """A signed-in tab on /portfolio whose feed is linked (as the page's on_load does)."""
    tab = Tab(app, cookie=cookie)
    await tab.connect()
    await tab.emit(HYDRATE, path="/portfolio")
    await tab.emit(name_of(AlertsState.link_feed), path="/portfolio")
    assert await wait_for(lambda: SECRET_TITLE in tab.text()), tab.text()[-2000:]
    return tab


def feed_token_of(user_id: str) -> str:
    digest = hmac.new(JWT_SECRET.encode(), f"exstrat-feed:{user_id}".encode(), hashlib.sha256)
    return f"feed-{digest.hexdigest()}"
