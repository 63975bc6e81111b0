"""The exchanges adapter: our own error tree at the ccxt boundary, retries with a budget,
the shared request schedule, rows parsed from each exchange, market facts, the price ticker.
Callers use this package face (`from exstrat_app.infra import exchanges as xa`), never the
modules behind it:

- `errors.py`  our error tree and the mapping from ccxt's
- `retry.py`   temporary errors retried with a budget (backoff, Retry-After)
- `client.py`  `make_exchange` (URLs, numbers as strings, shared throttle) and `call`
- `throttle.py` one request schedule per exchange shared through Redis
- `rows.py`    trade/transfer rows, key permissions, decimal and time helpers
- `binance.py`, `coinbase.py`  one module per exchange: pages, raw parsing, permissions
- `binance_retail.py` Binance Convert, card/fiat, dust, distributions, Simple Earn, Funding
- `weights.py`  Binance's documented request weights (the throttle spaces requests by them)
- `permissions.py` what a key may do, asked of its exchange
- `candles.py` candle closes and 1-minute extremes; `markets.py` the cached market list
  and lot sizes
- `tickers.py` every Binance last price in one HTTP request
- `orders.py`  order rules, free balance, one limit sell placed/found/followed/cancelled
"""

from exstrat_app.infra.exchanges.binance import (
    BINANCE_TRADES_LIMIT,
    BINANCE_TRANSFERS_LIMIT,
    BINANCE_WINDOW_MS,
    binance_trade_rows,
    binance_trades_page,
    binance_transfers,
)
from exstrat_app.infra.exchanges.binance_retail import (
    CONVERT_LIMIT,
    CONVERT_WINDOW_MS,
    DIVIDEND_LIMIT,
    DIVIDEND_WINDOW_MS,
    EARN_HISTORY_START_MS,
    EARN_PAGE_SIZE,
    EARN_WINDOW_MS,
    FIAT_ROWS,
    binance_card_payments,
    binance_converts,
    binance_dividends,
    binance_dust,
    binance_earn_positions,
    binance_earn_rewards,
    binance_fiat_orders,
    binance_funding_balances,
)
from exstrat_app.infra.exchanges.binance_retail import Page as RetailPage
from exstrat_app.infra.exchanges.candles import (
    CANDLES_LIMIT,
    MinuteExtremes,
    fetch_candles,
    fetch_daily_closes,
    fetch_minute_extremes,
)
from exstrat_app.infra.exchanges.client import (
    SUPPORTED_EXCHANGES,
    Credentials,
    call,
    make_exchange,
)
from exstrat_app.infra.exchanges.coinbase import (
    CoinbaseWallet,
    ConvertLeg,
    LedgerPage,
    coinbase_balances,
    coinbase_convert_row,
    coinbase_fills_page,
    coinbase_ledger_page,
)
from exstrat_app.infra.exchanges.errors import (
    ExchangeAuthError,
    ExchangeBadRequest,
    ExchangeError,
    ExchangeRateLimited,
    ExchangeTemporaryError,
    MarketsUnavailable,
    UnsupportedExchange,
)
from exstrat_app.infra.exchanges.markets import ensure_markets, lot_step_for
from exstrat_app.infra.exchanges.orders import (
    MarketRules,
    OrderRefused,
    OrderState,
    Wire,
    cancel_order,
    find_order,
    free_balance,
    market_rules,
    order_status,
    place_limit_sell,
)
from exstrat_app.infra.exchanges.permissions import key_permissions
from exstrat_app.infra.exchanges.retry import MAX_ATTEMPTS
from exstrat_app.infra.exchanges.rows import (
    KeyPermissions,
    TradeRow,
    TransferRow,
    balances_of,
    dt_to_ms,
    ms_to_dt,
    trade_row,
)
from exstrat_app.infra.exchanges.tickers import (
    TickerUnavailable,
    binance_base_url,
    fetch_binance_day_ranges,
    fetch_binance_tickers,
)
from exstrat_app.infra.exchanges.weights import BINANCE_WEIGHTS, Weight

__all__ = [
    "BINANCE_TRADES_LIMIT",
    "BINANCE_TRANSFERS_LIMIT",
    "BINANCE_WEIGHTS",
    "BINANCE_WINDOW_MS",
    "CANDLES_LIMIT",
    "CONVERT_LIMIT",
    "CONVERT_WINDOW_MS",
    "DIVIDEND_LIMIT",
    "DIVIDEND_WINDOW_MS",
    "EARN_HISTORY_START_MS",
    "EARN_PAGE_SIZE",
    "EARN_WINDOW_MS",
    "FIAT_ROWS",
    "MAX_ATTEMPTS",
    "SUPPORTED_EXCHANGES",
    "CoinbaseWallet",
    "ConvertLeg",
    "Credentials",
    "ExchangeAuthError",
    "ExchangeBadRequest",
    "ExchangeError",
    "ExchangeRateLimited",
    "ExchangeTemporaryError",
    "KeyPermissions",
    "LedgerPage",
    "MarketRules",
    "MarketsUnavailable",
    "MinuteExtremes",
    "OrderRefused",
    "OrderState",
    "RetailPage",
    "TickerUnavailable",
    "TradeRow",
    "TransferRow",
    "UnsupportedExchange",
    "Weight",
    "Wire",
    "balances_of",
    "binance_base_url",
    "binance_card_payments",
    "binance_converts",
    "binance_dividends",
    "binance_dust",
    "binance_earn_positions",
    "binance_earn_rewards",
    "binance_fiat_orders",
    "binance_funding_balances",
    "binance_trade_rows",
    "binance_trades_page",
    "binance_transfers",
    "call",
    "cancel_order",
    "coinbase_balances",
    "coinbase_convert_row",
    "coinbase_fills_page",
    "coinbase_ledger_page",
    "dt_to_ms",
    "ensure_markets",
    "fetch_binance_day_ranges",
    "fetch_binance_tickers",
    "fetch_candles",
    "fetch_daily_closes",
    "fetch_minute_extremes",
    "find_order",
    "free_balance",
    "key_permissions",
    "lot_step_for",
    "make_exchange",
    "market_rules",
    "ms_to_dt",
    "order_status",
    "place_limit_sell",
    "trade_row",
]
