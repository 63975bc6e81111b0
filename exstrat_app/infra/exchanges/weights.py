"""Binance's request weights, one table beside the shared throttle (`throttle.py`) which spaces
every Binance request by them.

Each row is the endpoint's documented weight (Binance API docs, the endpoint's "Weight(IP)" /
"Weight(UID)" line; the same figures as ccxt's `binance.describe()["api"]` comments, e.g.
`'convert/tradeFlow': {'cost': 20.001}  # Weight(UID): 3000`). Binance's limits
("LIMITS" in its General API Information): `/api/*` 6000 weight a minute per IP; `/sapi/*`
12000 a minute per IP and 180000 a minute per account (UID).

The throttle turns a weight into a wait the way ccxt does (its `rateLimit` is 50 ms, 1200
"cost" a minute): `/api` 1 weight = 0.2 cost (6000/min), `/sapi` IP 1 weight = 0.1 cost
(12000/min). IP weight takes turns on the schedule every process shares (the limit is per IP);
UID weight is spent from the account's own budget (`UidBudget` in `throttle.py`): a minute's
180000, refilled at 3000 a second, so one account's Convert history never holds up another
account's requests.
"""

from __future__ import annotations

from dataclasses import dataclass

API_IP_PER_MINUTE = 6000
SAPI_IP_PER_MINUTE = 12000
SAPI_UID_PER_MINUTE = 180000
CCXT_COST_PER_MINUTE = 1200  # 60 s / ccxt's 50 ms rateLimit


@dataclass(frozen=True)
class Weight:
    ip: int
    uid: int = 0
    note: str = ""
    per_second: int | None = None  # a further cap on requests a second, if documented


# (ccxt api, path) -> weight. ccxt's api names: `public`/`private` = /api/v3, `sapi` = /sapi/v1.
BINANCE_WEIGHTS: dict[tuple[str, str], Weight] = {
    # Spot (/api/v3): "Account Information", "Account Trade List", market data
    ("private", "account"): Weight(20),
    ("private", "myTrades"): Weight(20),
    ("public", "exchangeInfo"): Weight(20),
    ("public", "klines"): Weight(2),
    ("public", "ticker/price"): Weight(4, note="all symbols"),
    # Wallet
    ("sapi", "capital/deposit/hisrec"): Weight(1),
    ("sapi", "capital/withdraw/history"): Weight(0, 18000, per_second=10),
    ("sapi", "capital/config/getall"): Weight(10),
    ("sapi", "account/apiRestrictions"): Weight(1),
    ("sapi", "account/status"): Weight(1),
    ("sapi", "asset/dribblet"): Weight(1),
    ("sapi", "asset/assetDividend"): Weight(10),
    ("sapi", "asset/get-funding-asset"): Weight(1),
    # Convert, Fiat
    ("sapi", "convert/tradeFlow"): Weight(0, 3000),
    ("sapi", "fiat/payments"): Weight(1),
    ("sapi", "fiat/orders"): Weight(0, 90000),
    # Simple Earn
    ("sapi", "simple-earn/flexible/position"): Weight(150),
    ("sapi", "simple-earn/locked/position"): Weight(150),
    ("sapi", "simple-earn/flexible/history/rewardsRecord"): Weight(150),
    ("sapi", "simple-earn/locked/history/rewardsRecord"): Weight(150),
}


def ip_cost(api: str, weight: Weight) -> float:
    """The IP weight in ccxt's cost units (a multiple of `rateLimit`)."""
    per_minute = SAPI_IP_PER_MINUTE if api == "sapi" else API_IP_PER_MINUTE
    cost = weight.ip * CCXT_COST_PER_MINUTE / per_minute
    if weight.per_second:
        cost = max(cost, CCXT_COST_PER_MINUTE / 60 / weight.per_second)
    return cost


def lookup(api: object, path: object) -> tuple[str, Weight] | None:
    name = api if isinstance(api, str) else (api[0] if api else "")  # type: ignore[index]
    weight = BINANCE_WEIGHTS.get((str(name), str(path)))
    return (str(name), weight) if weight is not None else None
