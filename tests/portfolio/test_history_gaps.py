"""The value history's last point and the live portfolio part by the quantities no recorded
movement explains; the history says which, per asset (issue 16)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from exstrat_app.models import Balance, ExchangeAccount
from exstrat_app.services.portfolio.history import value_history
from exstrat_app.services.portfolio.price_history import MinuteCloses
from exstrat_app.services.portfolio.rebuild import recompute_positions
from tests.portfolio.conftest import NoMarkets, sign_in
from tests.portfolio.test_history_service import TODAY, DailyKlines, _build, _trade

D = Decimal


def _user_with_earn_beyond_trades(db: Any, make_user: Any) -> Any:
    """Bought 1 + 1 ETH; the exchange says 1.5 in spot + 0.75 in Simple Earn = 2.25 held: 0.25
    ETH came from rewards older than the rewards history the exchange still serves."""
    user = make_user()
    account = ExchangeAccount(
        user_id=user.id, exchange="binance", api_key_enc=b"k", api_secret_enc=b"s", key_id="k1"
    )
    db.add(account)
    db.commit()
    db.add(_trade(account.id, "1", 2, "buy", "1", "2100"))
    db.add(_trade(account.id, "2", 7, "buy", "1", "2700"))
    db.add(Balance(exchange_account_id=account.id, asset="ETH", free=D("1.5"), locked=D("0")))
    db.add(
        Balance(
            exchange_account_id=account.id, wallet="earn_flexible", asset="ETH",
            free=D("0.75"), locked=D("0"),
        )
    )  # fmt: skip
    db.commit()
    recompute_positions(db, user_id=user.id, closes=MinuteCloses(db, exchange_factory=NoMarkets))
    db.commit()
    _build(db, user.id, DailyKlines())
    return user


def test_an_unexplained_earn_balance_is_the_gap_between_history_and_live(db, make_user) -> None:
    user = _user_with_earn_beyond_trades(db, make_user)
    view = value_history(db, user.id, start=TODAY)
    # The history values what the trades explain: 2 ETH at day 10's close of 3,000 = 6,000.
    assert view.points[-1].day == TODAY
    assert view.points[-1].value == D("6000")
    # The page values 2.25 ETH (6,750 at 3,000): the 0.25 ETH between them is recorded.
    (eth,) = view.gaps
    assert (eth.asset, eth.held, eth.explained, eth.gap) == ("ETH", D("2.25"), D("2"), D("0.25"))


def test_a_fully_explained_history_has_no_gap(db, make_user) -> None:
    user = make_user()
    account = ExchangeAccount(
        user_id=user.id, exchange="binance", api_key_enc=b"k", api_secret_enc=b"s", key_id="k1"
    )
    db.add(account)
    db.commit()
    db.add(_trade(account.id, "1", 2, "buy", "1", "2100"))
    db.add(Balance(exchange_account_id=account.id, asset="ETH", free=D("1"), locked=D("0")))
    db.commit()
    recompute_positions(db, user_id=user.id, closes=MinuteCloses(db, exchange_factory=NoMarkets))
    db.commit()
    _build(db, user.id, DailyKlines())
    assert value_history(db, user.id).gaps == ()


def test_the_api_lists_the_gaps_as_strings(client: Any, db: Any, make_user: Any) -> None:
    user = _user_with_earn_beyond_trades(db, make_user)
    sign_in(client, user.id)
    body = client.get("/api/portfolio/history").json()
    assert body["gaps"] == [{"asset": "ETH", "held": "2.25", "explained": "2", "gap": "0.25"}]
