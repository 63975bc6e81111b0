"""The token page's lists page on the server (issue 16): every page of the movements is the
matching slice of the whole history (trades, transfers and openings merged, newest first),
at any depth, and the trades' pages cover every trade once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from exstrat_app.models import ExchangeAccount, OpeningPosition, Trade, Transfer
from exstrat_app.services.portfolio.movements import movements
from exstrat_app.services.portfolio.token import token_view

D = Decimal
T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def _seed(db: Any, user_id: str) -> str:
    """37 movements of ETH: trades each 3 minutes, transfers each 7, openings each 11; two
    share a moment (minute 21: a trade and a transfer) so the id breaks the tie."""
    account = ExchangeAccount(
        user_id=user_id, exchange="binance", api_key_enc=b"k", api_secret_enc=b"s", key_id="k1"
    )
    db.add(account)
    db.flush()
    for k in range(20):
        db.add(Trade(exchange_account_id=account.id, exchange_trade_id=str(k), symbol="ETH/USDT",
                     base="ETH", quote="USDT", side="buy", price=D(2000), amount=D(1),
                     cost=D(2000), ts=T0 + timedelta(minutes=3 * k)))  # fmt: skip
    for k in range(12):
        db.add(Transfer(exchange_account_id=account.id, exchange_transfer_id=f"x{k}",
                        type="deposit", asset="ETH", amount=D("0.5"),
                        ts=T0 + timedelta(minutes=7 * k)))  # fmt: skip
    for k in range(5):
        db.add(OpeningPosition(user_id=user_id, asset="ETH", quantity=D(1), total_cost=D(100),
                               at=T0 + timedelta(minutes=11 * k)))  # fmt: skip
    db.add(Trade(exchange_account_id=account.id, exchange_trade_id="other", symbol="SOL/USDT",
                 base="SOL", quote="USDT", side="buy", price=D(150), amount=D(1), cost=D(150),
                 ts=T0))  # fmt: skip
    db.commit()
    return account.id


def test_every_page_of_the_movements_is_its_slice_of_the_whole(db: Any, make_user: Any) -> None:
    user = make_user()
    account = _seed(db, user.id)
    whole, total = movements(
        db, user_id=user.id, accounts=[account], asset="ETH", page=1, page_size=100
    )
    assert total == 37 == len(whole)  # the SOL trade is not an ETH movement
    keys = [(m.ts, m.id) for m in whole]
    assert keys == sorted(keys, reverse=True)  # newest first, then by id
    paged = []
    for page in range(1, 6):  # 8 + 8 + 8 + 8 + 5
        lines, page_total = movements(
            db, user_id=user.id, accounts=[account], asset="ETH", page=page, page_size=8
        )
        assert page_total == 37
        paged.extend(lines)
    assert [m.id for m in paged] == [m.id for m in whole]
    assert {m.kind for m in paged} == {"trade", "deposit", "opening"}
    assert movements(db, user_id=user.id, accounts=[account], asset="ETH", page=9,
                     page_size=8)[0] == ()  # fmt: skip


def test_trade_pages_cover_every_trade_once(db: Any, make_user: Any) -> None:
    user = make_user()
    _seed(db, user.id)
    seen: list[str] = []
    for page in range(1, 5):  # 6 + 6 + 6 + 2
        view = token_view(db, user_id=user.id, asset="ETH", prices=lambda a, q: {}, page=page,
                          page_size=6)  # fmt: skip
        assert view.trades_total == 20
        seen.extend(t.id for t in view.trades)
    assert len(seen) == len(set(seen)) == 20


def test_a_user_without_accounts_has_only_openings(db: Any, make_user: Any) -> None:
    user = make_user()
    db.add(OpeningPosition(user_id=user.id, asset="ETH", quantity=D(1), total_cost=D(100), at=T0))
    db.commit()
    lines, total = movements(db, user_id=user.id, accounts=[], asset="ETH", page=1, page_size=10)
    assert total == 1 and [m.kind for m in lines] == ["opening"]
    assert movements(db, user_id=user.id, accounts=[], asset="SOL", page=1, page_size=10) == ((), 0)
