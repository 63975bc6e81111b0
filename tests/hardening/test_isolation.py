"""Isolation: with another user's ids, every /api route and every page handler that takes an
id answers "not found" (404), shows nothing of theirs and changes nothing of theirs.

The routes are enumerated from the OpenAPI schema, so a new route with an id in its path
fails this test until it is given an owner's object here.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from exstrat_app.infra.crypto import SecretBox
from exstrat_app.models import (
    ApiToken,
    Channel,
    ExchangeAccount,
    Notification,
    OpeningPosition,
    Order,
    Position,
    Strategy,
    StrategyStep,
    Trade,
    User,
    UserSession,
)
from exstrat_app.services.auth.session_list import public_id
from exstrat_app.services.errors import NotFound

ORIGIN = "http://testserver"
ALICE_TRADE_ID = "alice-trade-424242"


@pytest.fixture
def alice(db: Any) -> dict[str, str]:
    """Alice's account, trade, position, strategy (step triggered) and unread alert."""
    user = User(email="alice@example.com", password_hash="x")
    db.add(user)
    db.commit()
    box = SecretBox.from_settings()
    account = ExchangeAccount(
        user_id=user.id, exchange="binance", nickname="Alice main", key_id=box.current_key_id,
        api_key_enc=b"", api_secret_enc=b"",
    )  # fmt: skip
    account.api_key_enc = box.seal("alice-key", row_id=account.id, column="api_key")
    account.api_secret_enc = box.seal("alice-secret", row_id=account.id, column="api_secret")
    db.add(account)
    now = datetime(2024, 1, 10, tzinfo=UTC)
    db.add(
        Trade(
            exchange_account_id=account.id, exchange_trade_id=ALICE_TRADE_ID, symbol="ETH/USDT",
            base="ETH", quote="USDT", side="buy", price=Decimal("2000"), amount=Decimal("4"),
            cost=Decimal("8000"), ts=now,
        )
    )  # fmt: skip
    db.add(
        Position(
            user_id=user.id, asset="ETH", quantity=Decimal("4"), computed_qty=Decimal("4"),
            cost_basis=Decimal("8000"), avg_price=Decimal("2000"), realized_pnl=Decimal("0"),
            unknown_cost_qty=Decimal("0"),
        )
    )  # fmt: skip
    strategy = Strategy(
        user_id=user.id, asset="ETH", ref_type="avgPrice", ref_price=Decimal("2000"),
        base_qty=Decimal("4"),
    )  # fmt: skip
    db.add(strategy)
    db.commit()
    step = StrategyStep(
        strategy_id=strategy.id, asset="ETH", position=0, target_pct=Decimal("10"),
        sell_pct=Decimal("20"), target_price=Decimal("2200"), qty_to_sell=Decimal("0.8"),
        state="triggered", triggered_at=now, triggered_price=Decimal("2200"),
    )  # fmt: skip
    db.add(step)
    db.commit()
    note = Notification(
        user_id=user.id, strategy_id=strategy.id, step_id=step.id, title="ETH step 1", body="b"
    )
    db.add(note)
    opening = OpeningPosition(
        user_id=user.id, asset="ETH", quantity=Decimal("1"), total_cost=Decimal("900"),
        at=datetime(2019, 6, 1, tzinfo=UTC),
    )  # fmt: skip
    db.add(opening)
    order = Order(
        user_id=user.id, strategy_id=strategy.id, step_id=step.id, client_order_id=f"xs-{step.id}",
        symbol="ETH/USDT", status="open", qty=Decimal("0.8"), price=Decimal("2200"),
        trigger_price=Decimal("2200"),
    )  # fmt: skip
    db.add(order)
    channel = Channel(
        user_id=user.id, kind="apprise", label="Alice's webhook", hint="json://127.0.0.1…",
        secret_enc=b"sealed", key_id=box.current_key_id, fingerprint="f" * 64,
    )  # fmt: skip
    db.add(channel)
    # A signed-in session and a personal token (the sessions list and the tokens list).
    session_row = UserSession(
        jti="alice-jti-1", user_id=user.id, expires_at=datetime(2099, 1, 1, tzinfo=UTC)
    )
    token = ApiToken(
        user_id=user.id, name="script", scope="write", token_hash="a" * 64, hint="exs_aaaa…"
    )
    db.add_all([session_row, token])
    db.commit()
    return {
        "session_id": public_id(session_row.jti),
        "token_id": token.id,
        "channel_id": channel.id,
        "order_id": order.id,
        "user_id": user.id,
        "opening_id": opening.id,
        "account_id": account.id,
        "strategy_id": strategy.id,
        "step_id": step.id,
        "notification_id": note.id,
        "asset": "ETH",
        "kind": "trades",  # an export: not an id, the user's own rows
    }


@pytest.fixture
def bob_client(db: Any, redis: Any) -> TestClient:
    from exstrat_app.api import create_api
    from exstrat_app.services.auth import issue_session_token
    from exstrat_app.settings import get_settings

    bob = User(email="bob@example.com", password_hash="x")
    db.add(bob)
    db.commit()
    client = TestClient(create_api(), base_url=ORIGIN, headers={"Origin": ORIGIN})
    client.cookies.set("exstrat_session", issue_session_token(get_settings(), user_id=bob.id))
    client.bob_id = bob.id  # type: ignore[attr-defined]
    return client


def _operations_with_ids() -> list[tuple[str, str]]:
    from exstrat_app.api import create_api

    paths = create_api().openapi()["paths"]
    return [(method.upper(), path) for path, ops in paths.items() if "{" in path for method in ops]


def _alice_unchanged(db: Any, alice: dict[str, str]) -> None:
    db.expire_all()
    assert db.get(ExchangeAccount, alice["account_id"]) is not None
    assert db.get(ExchangeAccount, alice["account_id"]).status == "connected"
    assert db.get(Strategy, alice["strategy_id"]).status == "active"
    assert db.get(StrategyStep, alice["step_id"]).state == "triggered"
    assert db.get(Notification, alice["notification_id"]).read_at is None
    assert db.get(OpeningPosition, alice["opening_id"]) is not None
    assert db.get(Channel, alice["channel_id"]) is not None
    assert db.get(ApiToken, alice["token_id"]) is not None
    assert db.exec(select(UserSession).where(UserSession.user_id == alice["user_id"])).one()
    assert db.exec(select(Trade).where(Trade.exchange_trade_id == ALICE_TRADE_ID)).one()


def test_every_api_route_with_an_id_is_404_for_another_users_id(
    db: Any, alice: dict[str, str], bob_client: TestClient
) -> None:
    operations = _operations_with_ids()
    assert len(operations) >= 9  # the routes of SPEC §5 that take an id
    checked = 0
    for method, path in operations:
        names = re.findall(r"{(\w+)}", path)
        missing = [n for n in names if n not in alice]
        assert not missing, f"{method} {path}: give this test an owned object for {missing}"
        url = path.format(**alice)
        response = bob_client.request(method, url)
        text = response.text
        # Nothing of Alice's ever comes back, whatever the status.
        for secret_or_data in (ALICE_TRADE_ID, "Alice main", "alice-key", "alice-secret", "8000"):
            assert secret_or_data not in text, (method, url)
        if path in ("/api/tokens/{asset}", "/api/tokens/{asset}/history", "/api/export/{kind}.csv"):
            # Bob may ask about any asset or export: he sees his own (empty) rows, never Alice's.
            assert response.status_code in (200, 404), (method, url, response.status_code)
        else:
            assert response.status_code == 404, (method, url, response.status_code, text)
            assert response.json()["error"]["code"] == "not_found"
        checked += 1
    _alice_unchanged(db, alice)
    assert checked == len(operations)


def test_every_page_handler_that_takes_an_id_refuses_another_users_id(
    db: Any, alice: dict[str, str], bob_client: TestClient
) -> None:
    """The helpers the Reflex handlers run (in a thread) with the signed-in user's id."""
    from exstrat_app.state import exchanges as exchanges_state
    from exstrat_app.state import feed as feed_state
    from exstrat_app.state import strategies as strategies_state
    from exstrat_app.state import token as token_state

    bob = bob_client.bob_id  # type: ignore[attr-defined]
    refused = [
        lambda: strategies_state._detail(bob, alice["strategy_id"]),
        lambda: strategies_state._act(bob, alice["strategy_id"], "pause"),
        lambda: strategies_state._act(bob, alice["strategy_id"], "complete"),
        lambda: strategies_state._step_done(bob, alice["strategy_id"], alice["step_id"]),
        lambda: exchanges_state._sync(bob, alice["account_id"]),
        lambda: exchanges_state._delete(bob, alice["account_id"]),
    ]
    for handler in refused:
        with pytest.raises(NotFound):
            handler()
    # Marking another user's alert read is a silent no-op in the page (nothing to show).
    feed_state._mark_read(bob, alice["notification_id"])
    view = token_state._view(bob, "ETH", 1, 1)
    assert ALICE_TRADE_ID not in repr(view)
    _alice_unchanged(db, alice)
