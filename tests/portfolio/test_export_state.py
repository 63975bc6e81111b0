"""The token page's trades CSV: the API's trades file reduced to one asset's rows."""

from __future__ import annotations

from exstrat_app.state.export import only_asset

TRADES = (
    "account_id,exchange,trade_id,ts,symbol,base,quote,side,amount\n"
    'a,binance,"1,x",2026-01-01T00:00:00+00:00,ETH/USDT,ETH,USDT,buy,0.123456789012345678\n'
    "a,binance,2,2026-01-02T00:00:00+00:00,BTC/USDT,BTC,USDT,buy,1\n"
    "a,binance,3,2026-01-03T00:00:00+00:00,ETH/BTC,ETH,BTC,sell,0.5\n"
)


def test_only_the_assets_rows_are_kept_byte_for_byte() -> None:
    lines = TRADES.splitlines(keepends=True)
    assert only_asset(TRADES, "ETH") == lines[0] + lines[1] + lines[3]
    assert only_asset(TRADES, "SOL") == lines[0]
    assert only_asset("", "ETH") == ""
