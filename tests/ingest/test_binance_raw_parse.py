"""The Binance trades page is parsed by us (`binance_trade_rows`), not by ccxt's unified
`parse_trade` (see `xa.binance_trades_page` for why). ccxt's parser stays the
oracle: every row we build must equal the row built from ccxt's own `fetch_my_trades` on the
same pages, over the hand-made dataset and a generated one, and on the edge cases of one entry
(no fee, no quoteQty, no isBuyer, a renamed fee asset)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from exstrat_app.infra import exchanges as xa
from simexchange import BINANCE_READONLY_KEY, BINANCE_READONLY_SECRET, large_dataset


def _instance() -> Any:
    instance = xa.make_exchange(
        "binance", xa.Credentials(BINANCE_READONLY_KEY, BINANCE_READONLY_SECRET), rate_limit=False
    )
    instance.load_markets()
    return instance


def _ccxt_page(instance: Any, symbol: str, from_id: int) -> list[xa.TradeRow]:
    trades = instance.fetch_my_trades(symbol, None, xa.BINANCE_TRADES_LIMIT, {"fromId": from_id})
    return [xa.trade_row(t) for t in trades]


def _by_id(rows: list[xa.TradeRow]) -> list[xa.TradeRow]:
    return sorted(rows, key=lambda r: int(r.trade_id))


def _assert_same_pages(instance: Any) -> int:
    """Walk every page of every market both ways; return how many trades were compared."""
    compared = 0
    for symbol in sorted(instance.markets):
        from_id = 0
        while True:
            ours = xa.binance_trades_page(instance, symbol, from_id)
            theirs_page = _ccxt_page(instance, symbol, from_id)
            assert _by_id(ours) == _by_id(theirs_page), symbol
            # Same Decimal *strings* too (equality alone would accept 2000 for 2000.00).
            for mine, theirs in zip(_by_id(ours), _by_id(theirs_page), strict=True):
                for field in ("price", "amount", "cost", "fee_cost"):
                    assert str(getattr(mine, field)) == str(getattr(theirs, field)), field
            compared += len(ours)
            if len(ours) < xa.BINANCE_TRADES_LIMIT:
                break
            from_id = max(int(r.trade_id) for r in ours) + 1
    return compared


@pytest.mark.usefixtures("sim")
def test_small_dataset_rows_equal_ccxts() -> None:
    # small_dataset: BNB fees, a fee in the base, a fee in the quote, ETH/BTC: 6 trades.
    assert _assert_same_pages(_instance()) == 6


def test_generated_dataset_rows_equal_ccxts(make_sim: Any) -> None:
    # 2,500 trades over 4 symbols: several full pages of 1000 per symbol and a partial one.
    make_sim(large_dataset(2_500, 4, seed=7))
    assert _assert_same_pages(_instance()) == 2_500


RAW = {
    "symbol": "ETHUSDT",
    "id": 28457,
    "orderId": 100234,
    "orderListId": -1,
    "price": "4.00000100",
    "qty": "12.00000000",
    "quoteQty": "48.000012",
    "commission": "10.10000000",
    "commissionAsset": "BNB",
    "time": 1499865549590,
    "isBuyer": True,
    "isMaker": False,
    "isBestMatch": True,
}


@pytest.mark.parametrize(
    "change",
    [
        {},
        {"isBuyer": False},
        {"commission": None, "commissionAsset": None},  # removed below: no fee at all
        {"quoteQty": None},  # removed below: cost = price * qty
        {"isBuyer": None},  # removed below: no side (ccxt gives None, the row is skipped)
        {"commissionAsset": "BCC"},  # ccxt maps some exchange codes onto common ones
        {"orderId": None},
    ],
)
@pytest.mark.usefixtures("sim")
def test_one_entry_reads_as_ccxt_reads_it(change: dict[str, Any]) -> None:
    instance = _instance()
    market = instance.market("ETH/USDT")
    raw = {**RAW, **change}
    for key in [k for k, v in change.items() if v is None and k != "orderId"]:
        raw.pop(key)
    ours = xa.binance_trade_rows(instance, market, [dict(raw)])
    theirs = xa.trade_row(instance.parse_trade(dict(raw), market))
    assert ours == [theirs]
    if "quoteQty" in change:
        assert ours[0].cost == Decimal("48.000012000000")


def test_a_float_in_the_raw_page_is_refused() -> None:
    # Binance sends amounts as strings; a float would already have lost digits.
    with pytest.raises(TypeError):
        xa.binance_trade_rows(
            None, {"symbol": "ETH/USDT", "base": "ETH", "quote": "USDT"}, [{**RAW, "qty": 1.1}]
        )


def test_the_request_on_the_wire_is_the_one_ccxt_sends(sim: Any) -> None:
    # Same path and parameters in the same order (only the timestamp and signature differ):
    # anything matching ccxt's requests (Binance's own filters, our fault injection) still does.
    from urllib.parse import parse_qsl, urlsplit

    instance = _instance()
    sim.reset_counts()
    xa.binance_trades_page(instance, "ETH/USDT", 5)
    _ccxt_page(instance, "ETH/USDT", 5)
    ours, theirs = (
        (
            urlsplit(target).path,
            [
                (k, v)
                for k, v in parse_qsl(urlsplit(target).query)
                if k not in ("timestamp", "signature", "recvWindow")
            ],
        )
        for target in sim.requests_log("/api/v3/myTrades")
    )
    assert ours == theirs
    assert ours == (
        "GET /api/v3/myTrades",
        [("symbol", "ETHUSDT"), ("limit", "1000"), ("fromId", "5")],
    )
