"""Fixtures for the alert tests: the simulated exchange over HTTP, users, the seed position,
an API client, a real RQ worker run in burst mode in this process, and a real SMTP server
(aiosmtpd).

Environment changes go through `monkeypatch` plus `get_settings.cache_clear()`, so each test
sees its own EXSTRAT_BINANCE_URL / SMTP_URL and nothing leaks into other test packages.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from simexchange import SimExchange
from simexchange.datasets import market_dataset

BASE_URL = "http://testserver"
LOT = Decimal("0.0001")


def lot_0001(_exchange: str, _symbol: str) -> Decimal:
    return LOT


#: The Binance spot markets every alerts test starts from (LOT_SIZE step 0.0001).
BINANCE_PRICES = {"ETH/USDT": "2000.00", "BTC/USDT": "60000.00", "ETH/BTC": "0.033"}


@pytest.fixture(scope="session")
def _binance_server() -> Iterator[SimExchange]:
    # The sim keeps the wall clock (the real time.time, bound before any freeze_time): a test
    # that freezes the app's clock still sees the last price it set, as from a live ticker.
    server = SimExchange(market_dataset(BINANCE_PRICES, step=LOT), clock=time.time)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def binance(
    _binance_server: SimExchange, monkeypatch: pytest.MonkeyPatch, redis: Any
) -> Iterator[SimExchange]:
    """The simulated Binance, reset (ETH at 2000, BTC at 60000), as EXSTRAT_BINANCE_URL."""
    from exstrat_app.settings import get_settings

    server = _binance_server
    server.load(market_dataset(BINANCE_PRICES, step=LOT))
    server.clear_faults()
    server.reset_counts()
    monkeypatch.setenv("EXSTRAT_BINANCE_URL", server.url)
    # Subprocess workers started by a test inherit os.environ (monkeypatch restores it).
    get_settings.cache_clear()
    yield server
    get_settings.cache_clear()


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Set environment variables for this test and reload the settings."""
    from exstrat_app.settings import get_settings

    def _set(**values: str) -> None:
        for key, value in values.items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()

    yield _set  # type: ignore[misc]
    get_settings.cache_clear()


@pytest.fixture
def allow_loopback(settings_env: Callable[..., None]) -> None:
    """The local stand-ins for push services and webhooks listen on 127.0.0.1: the owner's
    allow list lets the outbound guard reach them (docs/outbound.md)."""
    settings_env(EXSTRAT_OUTBOUND_ALLOW="127.0.0.1")


@pytest.fixture
def outbox() -> Path:
    """The email outbox (no SMTP_URL), emptied for this test."""
    from exstrat_app.settings import get_settings

    path = get_settings().outbox_dir
    for old in path.glob("*.eml"):
        old.unlink()
    return path


@pytest.fixture
def make_user(db: Any) -> Callable[..., Any]:
    from exstrat_app.models import User

    def _make(email: str = "alice@example.com") -> User:
        user = User(email=email, password_hash="x" * 60)
        db.add(user)
        db.commit()
        return user

    return _make


@pytest.fixture
def alice(make_user: Callable[..., Any]) -> Any:
    return make_user("alice@example.com")


@pytest.fixture
def bob(make_user: Callable[..., Any]) -> Any:
    return make_user("bob@example.com")


def add_position(db: Any, user_id: str, asset: str, qty: str, avg: str | None) -> Any:
    from exstrat_app.models import Position

    position = Position(
        user_id=user_id,
        asset=asset,
        quote="USDT",
        quantity=Decimal(qty),
        computed_qty=Decimal(qty),
        cost_basis=Decimal(qty) * Decimal(avg) if avg else Decimal(0),
        avg_price=Decimal(avg) if avg else None,
        realized_pnl=Decimal(0),
        unknown_cost_qty=Decimal(0),
    )
    db.add(position)
    db.commit()
    return position


@pytest.fixture
def seed_position(db: Any, alice: Any) -> Any:
    """Seed §16: 4.00 ETH at an average of 2000 USDT."""
    return add_position(db, alice.id, "ETH", "4.00", "2000")


SEED_STEPS = [{"targetPct": "10", "sellPct": "20"}, {"targetPct": "40", "sellPct": "59"}]


def create_seed_strategy(db: Any, user_id: str, **overrides: Any) -> Any:
    from exstrat_app.services.strategies.commands import create_strategy

    args: dict[str, Any] = {
        "asset": "ETH",
        "reference": {"type": "avgPrice"},
        "steps": SEED_STEPS,
        "notify": {"email": True, "inApp": True},
        "lot_step_lookup": lot_0001,
    }
    args.update(overrides)
    strategy = create_strategy(db, user_id=user_id, **args)
    db.commit()  # the caller owns the unit of work: the service only adds and flushes
    return strategy


def expire_price_cache(redis: Any) -> None:
    """As if the cache period had passed: the next read fetches upstream again."""
    for key in redis.scan_iter("prices:*"):
        if key.endswith(b":fetched") or key.endswith(b":cooldown"):
            redis.delete(key)


def run_worker(redis: Any, queues: tuple[str, ...] = ("notify", "watch")) -> None:
    """A real RQ worker (SimpleWorker: jobs run in this process) until the queues are empty,
    taking them in the app's order (notify before watch, as `infra.queue.QUEUES`)."""
    from rq import SimpleWorker

    from exstrat_app.infra.queue import get_queue

    worker = SimpleWorker([get_queue(q, connection=redis) for q in queues], connection=redis)
    worker.work(burst=True, logging_level="WARNING")


def enqueue_watch(redis: Any) -> Any:
    from exstrat_app.infra.queue import get_queue

    return get_queue("watch", connection=redis).enqueue("jobs.watch.watch_prices")


@pytest.fixture
def client(db: Any, redis: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A same-origin TestClient on the real API (rate limit off: many calls per test)."""
    from fastapi.testclient import TestClient

    from exstrat_app.api import create_api
    from exstrat_app.settings import get_settings

    monkeypatch.setenv("EXSTRAT_API_RATE_LIMIT", "off")
    get_settings.cache_clear()
    with TestClient(create_api(), base_url=BASE_URL, headers={"Origin": BASE_URL}) as c:
        yield c
    get_settings.cache_clear()


def sign_in(client: Any, user_id: str) -> None:
    from exstrat_app.services.auth import issue_session_token
    from exstrat_app.settings import get_settings

    client.cookies.set("exstrat_session", issue_session_token(get_settings(), user_id=user_id))


def worker_env() -> dict[str, str]:
    """The environment for worker subprocesses (same database, Redis, simulated Binance)."""
    env = dict(os.environ)
    env.setdefault("PYTHONPATH", os.getcwd())
    return env


# ---------------------------------------------------------------- a real SMTP server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Inbox:
    """aiosmtpd handler keeping (recipients, parsed message) of every mail received."""

    def __init__(self) -> None:
        self.mails: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.mails.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"


class SmtpServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.inbox = Inbox()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.controller.stop()


@pytest.fixture
def smtp(settings_env: Any) -> Iterator[SmtpServer]:
    port = free_port()
    settings_env(SMTP_URL=f"smtp://127.0.0.1:{port}", EMAIL_FROM="exstrat <alerts@example.org>")
    with SmtpServer(port) as server:
        yield server
