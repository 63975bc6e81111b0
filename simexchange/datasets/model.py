"""The dataset model: markets, fills, transfers and accounts keyed by API key.

Every amount is a ``Decimal`` (never a float); the APIs turn them into the strings the real
exchanges send.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from decimal import Decimal

from .cb_transactions import SimCbTransaction
from .prices import PriceHistory
from .retail_model import BinanceRetail

ZERO = Decimal(0)
_DEFAULT_STEP = Decimal("0.0001")
_DEFAULT_TICK = Decimal("0.01")
_DEFAULT_MIN_NOTIONAL = Decimal("5")


@dataclass(frozen=True, slots=True)
class SimMarket:
    """A spot market. ``step`` is Binance LOT_SIZE stepSize / Coinbase base_increment,
    ``tick`` is PRICE_FILTER tickSize / Coinbase quote_increment."""

    base: str
    quote: str
    step: Decimal = _DEFAULT_STEP
    tick: Decimal = _DEFAULT_TICK
    min_qty: Decimal | None = None
    min_notional: Decimal = _DEFAULT_MIN_NOTIONAL

    @property
    def symbol(self) -> str:
        return f"{self.base}/{self.quote}"

    @property
    def binance_id(self) -> str:
        return f"{self.base}{self.quote}"

    @property
    def coinbase_id(self) -> str:
        return f"{self.base}-{self.quote}"


@dataclass(slots=True)
class SimTrade:
    """One fill. ``fee`` is paid in ``fee_asset`` (any asset: base, quote or e.g. BNB).

    Binance: ``id`` is the trade id, unique and increasing per symbol; Coinbase: ``id`` is the
    fill's sequence number (unique per account, increasing with time), used as cursor.
    Balance effect: buy -> base += qty, quote -= quote_qty; sell -> the reverse; then
    fee_asset -= fee.
    """

    symbol: str
    side: str  # "buy" | "sell"
    qty: Decimal
    price: Decimal
    fee: Decimal
    fee_asset: str
    time: int
    id: int = 0
    order_id: int = 0
    is_maker: bool = False
    quote_qty: Decimal | None = None

    def __post_init__(self) -> None:
        if self.quote_qty is None:
            self.quote_qty = self.qty * self.price

    @property
    def base(self) -> str:
        return self.symbol.split("/")[0]

    @property
    def quote(self) -> str:
        return self.symbol.split("/")[1]


@dataclass(slots=True)
class SimTransfer:
    """A deposit or a withdrawal.

    ``amount`` is what arrived (deposit) or what was sent to the address (withdrawal, fee NOT
    included); a withdrawal debits ``amount + fee`` from the balance. Binance shows ``amount``
    and ``transactionFee`` separately; Coinbase shows an outgoing ``send`` as
    ``-(amount + fee)`` with ``network.transaction_fee = fee`` (the amount includes the fee).
    Only ``status == "ok"`` transfers move the balance.
    """

    kind: str  # "deposit" | "withdrawal"
    asset: str
    amount: Decimal
    time: int
    fee: Decimal = ZERO
    id: str = ""
    txid: str = ""
    address: str = ""
    network: str = ""
    status: str = "ok"  # ok | pending | failed
    # Coinbase v2 transaction type: "send" (out, or legacy incoming with a positive amount),
    # "receive" (in), "fiat_deposit", "fiat_withdrawal". Derived when empty.
    cb_type: str = ""


@dataclass
class SimAccount:
    """One API key and what it can read. Keys of the same exchange account share the lists."""

    exchange: str  # "binance" | "coinbase"
    api_key: str
    secret: str
    permissions: dict[str, object]
    balances: dict[str, tuple[Decimal, Decimal]]  # asset -> (free, locked/hold)
    trades: list[SimTrade] = field(default_factory=list)
    deposits: list[SimTransfer] = field(default_factory=list)
    withdrawals: list[SimTransfer] = field(default_factory=list)
    #: Coinbase v2 transactions beyond fills and transfers (buys, converts, rewards, ...)
    cb_v2: list[SimCbTransaction] = field(default_factory=list)
    created_ms: int = 1_577_836_800_000  # 2020-01-01
    uid: int = 354937868
    #: Binance Convert, card buys, fiat orders, dust, distributions, Simple Earn, Funding
    binance_retail: BinanceRetail = field(default_factory=BinanceRetail)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)
    #: bumped whenever trades/transfers/balances change (the server rebuilds its indexes)
    version: int = 0

    def total(self, asset: str) -> Decimal:
        free, locked = self.balances.get(asset, (ZERO, ZERO))
        return free + locked


@dataclass
class SimDataset:
    name: str
    binance_markets: dict[str, SimMarket]  # "ETH/USDT" -> market
    coinbase_markets: dict[str, SimMarket]  # "ETH/USD" -> market
    prices: dict[str, PriceHistory]  # "ETH/USDT" -> history (shared by both exchanges)
    accounts: dict[str, SimAccount]  # api key -> account
    #: one-line notes on intentional oddities (documented figures)
    notes: list[str] = field(default_factory=list)

    def markets(self, exchange: str) -> dict[str, SimMarket]:
        return self.binance_markets if exchange == "binance" else self.coinbase_markets

    def price_at(self, symbol: str, t_ms: int) -> Decimal | None:
        hist = self.prices.get(symbol)
        return hist.at(t_ms) if hist else None

    def add_account(self, account: SimAccount) -> SimAccount:
        self.accounts[account.api_key] = account
        return account
