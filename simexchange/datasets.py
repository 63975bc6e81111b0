"""Datasets for the simulated exchange: markets, price histories and accounts keyed by API key.

Every amount is a ``Decimal`` (never a float). The server turns them into the strings the real
exchanges send. Three datasets are provided:

- ``small_dataset()``: hand-checkable; every figure is documented below so tests can compute
  the expected trades, balances and positions by hand.
- ``large_dataset(n_trades, n_symbols, seed)``: generated, deterministic, for benchmarks.
- ``demo_dataset(seed)``: a few hundred trades over ~10 assets for the demo, with an ETH
  position of ~4 ETH at an average near 2000 USDT and ETH/USDT at 2190 (a +10 % step is close).

All datasets use the same API keys (the constants below), so a demo user can paste them.
"""

from __future__ import annotations

import bisect
import hashlib
import random
import threading
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal

D = Decimal
ZERO = Decimal(0)
DAY_MS = 86_400_000
MINUTE_MS = 60_000
_DEFAULT_STEP = Decimal("0.0001")
_DEFAULT_TICK = Decimal("0.01")
_DEFAULT_MIN_NOTIONAL = Decimal("5")

# --------------------------------------------------------------------------------------------
# API keys (shared by every dataset)
# --------------------------------------------------------------------------------------------

#: Binance key with reading only (enableReading True, everything else False).
BINANCE_READONLY_KEY = "sim-binance-readonly"
BINANCE_READONLY_SECRET = "sim-binance-secret"  # noqa: S105 (test-only key)
#: Same Binance account, key with spot trading enabled (must be refused by the app).
BINANCE_TRADING_KEY = "sim-binance-trading"
BINANCE_TRADING_SECRET = "sim-binance-trading-secret"  # noqa: S105 (test-only key)
#: Same Binance account, key with withdrawals enabled (must be refused by the app).
BINANCE_WITHDRAW_KEY = "sim-binance-withdraw"
BINANCE_WITHDRAW_SECRET = "sim-binance-withdraw-secret"  # noqa: S105 (test-only key)

#: Coinbase CDP key (ES256): ``apiKey`` is the key name, ``secret`` the EC P-256 PEM.
#: Test-only key pair generated for the simulator; it protects nothing.
COINBASE_READONLY_KEY = "organizations/sim-org/apiKeys/sim-readonly"
COINBASE_READONLY_SECRET = "\n".join(
    [
        "-----BEGIN EC PRIVATE KEY-----",
        "MHcCAQEEIHqnaVzPD/y9AaXsQWtvmCst5dHcLaw28US9zscHNfgKoAoGCCqGSM49",
        "AwEHoUQDQgAEKf2YWbFMn37ndvFxRgsWqMunpE5lHPGfoZ1c4uuhl6PFrUMX0fWv",
        "nnWl1PwGEZsVi82u7Lwu2ZvFGw9h+gRKnw==",
        "-----END EC PRIVATE KEY-----",
        "",
    ]
)
#: Same Coinbase portfolio, key with can_trade=True (must be refused by the app).
COINBASE_TRADING_KEY = "organizations/sim-org/apiKeys/sim-trading"
COINBASE_TRADING_SECRET = "\n".join(
    [
        "-----BEGIN EC PRIVATE KEY-----",
        "MHcCAQEEILLQ27IdZKdTNIU6XDFL2itstCU6jLnkC/KecISb/eOtoAoGCCqGSM49",
        "AwEHoUQDQgAErwpDO8PHnMt6H/GZKiJIbsK+6TYXWOTlv0wb3rPyAMnD2LT5HDSQ",
        "n//sSwjcVKQS+viz6Dq7sM6IkIHbt8o3iw==",
        "-----END EC PRIVATE KEY-----",
        "",
    ]
)
#: Same Coinbase portfolio, key with can_transfer=True (must be refused by the app).
COINBASE_TRANSFER_KEY = "organizations/sim-org/apiKeys/sim-transfer"
COINBASE_TRANSFER_SECRET = "\n".join(
    [
        "-----BEGIN EC PRIVATE KEY-----",
        "MHcCAQEEIIwyJLaYwPU/WCcRManse5XG4+gAftVlieF0dlB+T9caoAoGCCqGSM49",
        "AwEHoUQDQgAEvqig8pwMn4L+kjmCmnMPVcJgxM9Cw2zEfOPRAwmbOhjHOB12rN+G",
        "wZNdSnZTIWDeX/fcF5P6xZsldJVcs9bN1Q==",
        "-----END EC PRIVATE KEY-----",
        "",
    ]
)
#: Same Coinbase portfolio, Ed25519 CDP key (88-char base64 secret, ccxt signs EdDSA JWTs).
COINBASE_ED25519_KEY = "5e1d3c2b-0a9f-4e8d-b7c6-sim-ed25519"
COINBASE_ED25519_SECRET = "".join(  # seed (32 bytes) + public key (32 bytes), base64
    ["Cj/a1qTguXeVt9M47k1mYzoUYcrdQWbg9Elvitsso0obrd0ggis/", "VN3WuytZsLffmx7MLVsfpayReXBk7VPBkg=="]
)

BINANCE_READONLY_PERMISSIONS = {
    "ipRestrict": False,
    "enableReading": True,
    "enableSpotAndMarginTrading": False,
    "enableWithdrawals": False,
    "enableInternalTransfer": False,
    "enableMargin": False,
    "enableFutures": False,
    "permitsUniversalTransfer": False,
    "enableVanillaOptions": False,
    "enableFixApiTrade": False,
    "enableFixReadOnly": False,
    "enablePortfolioMarginTrading": False,
}
COINBASE_READONLY_PERMISSIONS = {"can_view": True, "can_trade": False, "can_transfer": False}

_NS = uuid.UUID("6f1c1b9e-4d0a-4c55-9a53-5e2f1d7c0a11")


def sim_uuid(*parts: object) -> str:
    """A deterministic UUID for ids (Coinbase accounts, fills, transactions)."""
    return str(uuid.uuid5(_NS, ":".join(str(p) for p in parts)))


def ms(iso: str) -> int:
    """``"2024-01-10T12:00:27.123Z"`` -> epoch milliseconds (UTC)."""
    dt = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return round(dt.timestamp() * 1000)


def iso_ms(t_ms: int) -> str:
    """Epoch milliseconds -> ``"2024-01-10T12:00:27.123Z"``."""
    dt = datetime.fromtimestamp(t_ms / 1000, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t_ms % 1000:03d}Z"


# --------------------------------------------------------------------------------------------
# Model
# --------------------------------------------------------------------------------------------


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


class PriceHistory:
    """Price points ``(time_ms, price)`` of one symbol, kept sorted by time.

    The price "at" a time is the last point at or before it; a 1-minute candle's close is the
    price at the candle's last millisecond.
    """

    __slots__ = ("_lock", "prices", "times")

    def __init__(self, points: list[tuple[int, Decimal]] | None = None) -> None:
        pts = sorted(points or [], key=lambda p: p[0])
        self.times: list[int] = [t for t, _ in pts]
        self.prices: list[Decimal] = [D(p) for _, p in pts]
        self._lock = threading.Lock()

    def add(self, t_ms: int, price: Decimal | str) -> None:
        price = D(price)
        with self._lock:
            if not self.times or t_ms >= self.times[-1]:
                self.times.append(t_ms)
                self.prices.append(price)
            else:
                i = bisect.bisect_right(self.times, t_ms)
                self.times.insert(i, t_ms)
                self.prices.insert(i, price)

    def at(self, t_ms: int) -> Decimal | None:
        """Last price at or before ``t_ms`` (None before the first point)."""
        i = bisect.bisect_right(self.times, t_ms)
        return self.prices[i - 1] if i else None

    def first_time(self) -> int | None:
        return self.times[0] if self.times else None

    def between(self, t0: int, t1: int) -> list[Decimal]:
        """Prices of the points with ``t0 <= time <= t1``."""
        i = bisect.bisect_left(self.times, t0)
        j = bisect.bisect_right(self.times, t1)
        return self.prices[i:j]

    def __len__(self) -> int:
        return len(self.times)


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
    created_ms: int = 1_577_836_800_000  # 2020-01-01
    uid: int = 354937868
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


def compute_balances(
    trades: list[SimTrade], deposits: list[SimTransfer], withdrawals: list[SimTransfer]
) -> dict[str, Decimal]:
    """Totals implied by trades and transfers (what a correct sync rebuilds)."""
    bal: dict[str, Decimal] = {}
    for t in trades:
        base, quote = t.symbol.split("/")
        if t.side == "buy":
            bal[base] = bal.get(base, ZERO) + t.qty
            bal[quote] = bal.get(quote, ZERO) - t.quote_qty
        else:
            bal[base] = bal.get(base, ZERO) - t.qty
            bal[quote] = bal.get(quote, ZERO) + t.quote_qty
        bal[t.fee_asset] = bal.get(t.fee_asset, ZERO) - t.fee
    for d in deposits:
        if d.status == "ok":
            bal[d.asset] = bal.get(d.asset, ZERO) + d.amount
    for w in withdrawals:
        if w.status == "ok":
            bal[w.asset] = bal.get(w.asset, ZERO) - w.amount - w.fee
    return bal


def _alias(account: SimAccount, api_key: str, secret: str, **perms: object) -> SimAccount:
    """Another key on the same exchange account (shares trades, transfers and balances)."""
    return replace(
        account, api_key=api_key, secret=secret, permissions={**account.permissions, **perms}
    )


def _add_binance_aliases(ds: SimDataset, ro: SimAccount) -> None:
    ds.add_account(
        _alias(ro, BINANCE_TRADING_KEY, BINANCE_TRADING_SECRET, enableSpotAndMarginTrading=True)
    )
    ds.add_account(
        _alias(
            ro,
            BINANCE_WITHDRAW_KEY,
            BINANCE_WITHDRAW_SECRET,
            enableWithdrawals=True,
            enableInternalTransfer=True,
            permitsUniversalTransfer=True,
        )
    )


def _add_coinbase_aliases(ds: SimDataset, ro: SimAccount) -> None:
    ds.add_account(_alias(ro, COINBASE_TRADING_KEY, COINBASE_TRADING_SECRET, can_trade=True))
    ds.add_account(_alias(ro, COINBASE_TRANSFER_KEY, COINBASE_TRANSFER_SECRET, can_transfer=True))
    ds.add_account(_alias(ro, COINBASE_ED25519_KEY, COINBASE_ED25519_SECRET))


def _txhash(*parts: object) -> str:
    return hashlib.sha256(":".join(str(p) for p in parts).encode()).hexdigest()


# --------------------------------------------------------------------------------------------
# small_dataset: hand-checkable
# --------------------------------------------------------------------------------------------

# Binance (key BINANCE_READONLY_KEY). Times are UTC. Fees as Binance charges them: in BNB when
# "pay fees with BNB" is on, otherwise in the asset received.
#
#  D1 2024-01-05T10:00:00.000Z deposit    10000 USDT                       (id dep-usdt-1)
#  T1 2024-01-08T09:30:15.250Z BNB/USDT BUY  1.001 @ 300.00 = 300.30 USDT, fee 0.001 BNB
#                                            -> BNB +1.000 net, BNB avg 300.30
#  T2 2024-01-10T12:00:27.123Z ETH/USDT BUY  2.0000 @ 2000.00 = 4000.00, fee 0.0100 BNB
#                                            (BNB/USDT 1m close at T2 = 300.00 -> fee 3.00 USDT)
#                                            -> ETH qty 2.0000, cost 4003.00
#  T3 2024-02-15T14:00:05.500Z ETH/USDT BUY  2.0020 @ 2100.00 = 4204.20, fee 0.0020 ETH
#                                            -> ETH qty 4.0000, cost 8207.20, avg 2051.80
#  T4 2024-03-01T16:45:30.000Z ETH/USDT SELL 0.5000 @ 2500.00 = 1250.00, fee 1.25 USDT
#                                            -> realized 1250 - 1.25 - 0.5*2051.80 = 222.85
#                                            -> ETH qty 3.5000, cost 7181.30, avg 2051.80
#  D2 2024-03-10T08:00:00.000Z deposit    0.1 BTC (cost unknown)           (id dep-btc-1)
#  T5 2024-03-12T11:20:40.000Z ETH/BTC  BUY  1.0000 @ 0.05000 = 0.05 BTC, fee 0.0025 BNB
#                                            (1m closes at T5: BTC/USDT 60000.00, BNB/USDT
#                                            400.00 -> cost 0.05*60000 + 0.0025*400 = 3001.00)
#                                            -> ETH qty 4.5000, cost 10182.30, avg 2262.7333...
#  T6 2024-04-02T13:05:00.000Z BTC/USDT BUY  0.01000 @ 65000.00 = 650.00, fee 0.00001 BTC
#  W1 2024-04-20T18:00:00.000Z withdrawal 0.5 ETH to an address + network fee 0.001 ETH
#                                            (Binance: amount "0.5", transactionFee "0.001";
#                                            the balance drops by 0.501)   (id wd-eth-1)
#
# Balances implied by the above (compute_balances):
#   USDT 10000 - 300.30 - 4000 - 4204.20 + 1250 - 1.25 - 650 = 2094.25
#   ETH  2 + 2.002 - 0.002 - 0.5 + 1 - 0.5 - 0.001          = 3.999
#   BTC  0.1 - 0.05 + 0.01 - 0.00001                         = 0.05999
#   BNB  1.001 - 0.001 - 0.01 - 0.0025                       = 0.9875
# Live balances returned by GET /api/v3/account (free, locked):
#   USDT (1994.25, 100.00)  -- 100 USDT locked by an open limit order; total 2094.25
#   ETH  (3.999, 0)   BTC (0.05999, 0)   LTC (0, 0)  -- a zero row, as Binance sends
#   BNB  (1.0000, 0)  -- INTENTIONALLY UNEXPLAINED: 0.0125 BNB more than trades and
#                        transfers imply (think of an airdrop/distribution the read endpoints
#                        do not report). The portfolio must show "unexplained: 0.0125 BNB".
#
# Price history points (also the 1m candle closes at those minutes):
#   every symbol at 2024-01-01T00:00:00Z: ETH/USDT 2280, BTC/USDT 42300, BNB/USDT 312,
#     ETH/BTC 0.05390; then each trade's price at the trade's time, plus:
#   BNB/USDT 300.00 at T2; BTC/USDT 60000.00, BNB/USDT 400.00, ETH/USDT 3000.00 at T5;
#   BTC/USDT 58000.00 at D2; ETH/USDT 2400.00 at W1.
#   Current prices (2024-06-01T00:00:00Z, the last points): ETH/USDT 3500.00,
#     BTC/USDT 67000.00, BNB/USDT 600.00, ETH/BTC 0.05224.
#
# Coinbase (key COINBASE_READONLY_KEY; products quoted in USD; fee = commission, in USD):
#  C0 2024-01-15T09:00:00.000Z fiat_deposit 10000.00 USD
#  C1 2024-02-01T15:00:10.500Z BTC-USD BUY  0.02 @ 42000.00 = 840.00,  commission 5.04
#                                           -> BTC qty 0.02, cost 845.04
#  C2 2024-02-20T10:30:00.250Z ETH-USD BUY  1.5  @ 2900.00  = 4350.00, commission 26.10
#                                           -> ETH qty 1.5, cost 4376.10, avg 2917.40
#  C3 2024-03-15T09:00:00.000Z ETH-USD SELL 0.5  @ 3700.00  = 1850.00, commission 11.10
#                                           -> realized 1850 - 11.10 - 0.5*2917.40 = 380.20
#                                           -> ETH qty 1.0, cost 2917.40
#  C4 2024-04-10T16:20:00.000Z BTC-USD BUY  0.01 @ 70000.00 = 700.00,  commission 4.20
#                                           -> BTC qty 0.03, cost 1549.24, avg 51641.333...
#  C5 2024-04-25T12:00:00.000Z send    ETH 0.2 to an address + network fee 0.0005 ETH
#                                           (v2 amount "-0.2005", transaction_fee "0.0005")
#  C6 2024-05-02T08:00:00.000Z receive BTC 0.05 (cost unknown)
# Balances (available, hold): USD (5813.56, 100.00) total 5913.56
#   = 10000 - 845.04 - 4376.10 + 1838.90 - 704.20;  BTC (0.08, 0);  ETH (0.7995, 0);
#   SOL (0, 0) and USDC (0, 0) wallets exist with zero balances. No unexplained difference.
# The v2 ledger (/v2/accounts/{id}/transactions) also lists every fill as an
# "advanced_trade_fill" entry in the base and the quote account (as Coinbase does), beside
# fiat_deposit, send and receive: don't count a fill twice.
# Coinbase prices: BTC/USD 42000 at C1, 70000 at C4, 64000 at C6; ETH/USD 2900 at C2,
#   3700 at C3, 3150 at C5; start points 2024-01-01: BTC/USD 42300, ETH/USD 2280,
#   SOL/USD 100, ETH/BTC 0.05390; current (2024-06-01): BTC/USD 67000.00, ETH/USD 3500.00,
#   SOL/USD 165.00, ETH/BTC 0.05224.

SMALL_T = {
    "D1": ms("2024-01-05T10:00:00.000Z"),
    "T1": ms("2024-01-08T09:30:15.250Z"),
    "T2": ms("2024-01-10T12:00:27.123Z"),
    "T3": ms("2024-02-15T14:00:05.500Z"),
    "T4": ms("2024-03-01T16:45:30.000Z"),
    "D2": ms("2024-03-10T08:00:00.000Z"),
    "T5": ms("2024-03-12T11:20:40.000Z"),
    "T6": ms("2024-04-02T13:05:00.000Z"),
    "W1": ms("2024-04-20T18:00:00.000Z"),
    "C0": ms("2024-01-15T09:00:00.000Z"),
    "C1": ms("2024-02-01T15:00:10.500Z"),
    "C2": ms("2024-02-20T10:30:00.250Z"),
    "C3": ms("2024-03-15T09:00:00.000Z"),
    "C4": ms("2024-04-10T16:20:00.000Z"),
    "C5": ms("2024-04-25T12:00:00.000Z"),
    "C6": ms("2024-05-02T08:00:00.000Z"),
    "START": ms("2024-01-01T00:00:00.000Z"),
    "NOW": ms("2024-06-01T00:00:00.000Z"),
}

#: Live Binance balances of small_dataset (free, locked).
SMALL_BINANCE_BALANCES = {
    "USDT": (D("1994.25"), D("100.00")),
    "ETH": (D("3.999"), ZERO),
    "BTC": (D("0.05999"), ZERO),
    "BNB": (D("1.0000"), ZERO),
    "LTC": (ZERO, ZERO),
}
#: What trades and transfers imply (Binance): BNB differs by the unexplained 0.0125.
SMALL_BINANCE_IMPLIED = {
    "USDT": D("2094.25"),
    "ETH": D("3.999"),
    "BTC": D("0.05999"),
    "BNB": D("0.9875"),
}
SMALL_BINANCE_UNEXPLAINED = {"BNB": D("0.0125")}
#: Live Coinbase balances of small_dataset (available, hold).
SMALL_COINBASE_BALANCES = {
    "USD": (D("5813.56"), D("100.00")),
    "BTC": (D("0.08"), ZERO),
    "ETH": (D("0.7995"), ZERO),
    "SOL": (ZERO, ZERO),
    "USDC": (ZERO, ZERO),
}


def _binance_markets(symbols: list[tuple[str, str, str, str]]) -> dict[str, SimMarket]:
    out = {}
    for base, quote, step, tick in symbols:
        m = SimMarket(base, quote, D(step), D(tick), min_qty=D(step))
        out[m.symbol] = m
    return out


def small_dataset() -> SimDataset:
    T = SMALL_T
    bmk = _binance_markets(
        [
            ("ETH", "USDT", "0.0001", "0.01"),
            ("BTC", "USDT", "0.00001", "0.01"),
            ("BNB", "USDT", "0.001", "0.01"),
            ("ETH", "BTC", "0.0001", "0.00001"),
            ("LTC", "USDT", "0.001", "0.01"),
            ("SOL", "USDT", "0.001", "0.01"),
            ("BNB", "BTC", "0.001", "0.000001"),
        ]
    )
    cmk = {
        m.symbol: m
        for m in [
            SimMarket("BTC", "USD", D("0.00000001"), D("0.01"), D("0.00000001"), D("1")),
            SimMarket("ETH", "USD", D("0.00000001"), D("0.01"), D("0.00000001"), D("1")),
            SimMarket("SOL", "USD", D("0.00000001"), D("0.01"), D("0.00000001"), D("1")),
            SimMarket("ETH", "BTC", D("0.00000001"), D("0.00001"), D("0.00000001"), D("0.0001")),
        ]
    }
    start, now = T["START"], T["NOW"]
    pts: dict[str, list[tuple[int, str]]] = {
        "ETH/USDT": [
            (start, "2280"),
            (T["T2"], "2000.00"),
            (T["T3"], "2100.00"),
            (T["T4"], "2500.00"),
            (T["T5"], "3000.00"),
            (T["W1"], "2400.00"),
            (now, "3500.00"),
        ],
        "BTC/USDT": [
            (start, "42300"),
            (T["D2"], "58000.00"),
            (T["T5"], "60000.00"),
            (T["T6"], "65000.00"),
            (now, "67000.00"),
        ],
        "BNB/USDT": [
            (start, "312"),
            (T["T1"], "300.00"),
            (T["T2"], "300.00"),
            (T["T5"], "400.00"),
            (now, "600.00"),
        ],
        "ETH/BTC": [(start, "0.05390"), (T["T5"], "0.05000"), (now, "0.05224")],
        "LTC/USDT": [(start, "72.00"), (now, "84.00")],
        "SOL/USDT": [(start, "101.00"), (now, "165.00")],
        "BNB/BTC": [(start, "0.007376"), (now, "0.008955")],
        "BTC/USD": [
            (start, "42300"),
            (T["C1"], "42000.00"),
            (T["C4"], "70000.00"),
            (T["C6"], "64000.00"),
            (now, "67000.00"),
        ],
        "ETH/USD": [
            (start, "2280"),
            (T["C2"], "2900.00"),
            (T["C3"], "3700.00"),
            (T["C5"], "3150.00"),
            (now, "3500.00"),
        ],
        "SOL/USD": [(start, "100.00"), (now, "165.00")],
    }
    prices = {s: PriceHistory([(t, D(p)) for t, p in v]) for s, v in pts.items()}

    # fmt: off
    b_trades = [
        SimTrade(sym, side, D(q), D(p), D(fee), fee_asset, T[t], id=tid, order_id=oid,
                 is_maker=(t == "T3"))
        for sym, side, q, p, fee, fee_asset, t, tid, oid in [
            # symbol     side    qty       price       fee        fee in  time  trade id    order
            ("BNB/USDT", "buy", "1.001", "300.00", "0.001", "BNB", "T1", 702001122, 5210000001),
            ("ETH/USDT", "buy", "2.0000", "2000.00", "0.0100", "BNB", "T2", 1420001234, 5210000002),
            ("ETH/USDT", "buy", "2.0020", "2100.00", "0.0020", "ETH", "T3", 1437770001, 5210000003),
            ("ETH/USDT", "sell", "0.5000", "2500.00", "1.25", "USDT", "T4", 1455000777, 5210000004),
            ("ETH/BTC", "buy", "1.0000", "0.05000", "0.0025", "BNB", "T5", 431337001, 5210000005),
            ("BTC/USDT", "buy", "0.01", "65000.00", "0.00001", "BTC", "T6", 3530012345, 5210000006),
        ]
    ]
    # fmt: on
    b_deposits = [
        SimTransfer(
            "deposit",
            "USDT",
            D("10000"),
            T["D1"],
            id="dep-usdt-1",
            txid="0x" + _txhash("dep-usdt-1"),
            network="ETH",
            address="0x9f3a7c1e5b2d4f6a8c0e1b3d5f7a9c1e3b5d7f9a",
        ),
        SimTransfer(
            "deposit",
            "BTC",
            D("0.1"),
            T["D2"],
            id="dep-btc-1",
            txid=_txhash("dep-btc-1"),
            network="BTC",
            address="bc1qsimdeposit0000000000000000000000000btc",
        ),
    ]
    b_withdrawals = [
        SimTransfer(
            "withdrawal",
            "ETH",
            D("0.5"),
            T["W1"],
            fee=D("0.001"),
            id="wd-eth-1",
            txid="0x" + _txhash("wd-eth-1"),
            network="ETH",
            address="0x1111222233334444555566667777888899990000",
        ),
    ]
    ro = SimAccount(
        exchange="binance",
        api_key=BINANCE_READONLY_KEY,
        secret=BINANCE_READONLY_SECRET,
        permissions=dict(BINANCE_READONLY_PERMISSIONS),
        balances=dict(SMALL_BINANCE_BALANCES),
        trades=b_trades,
        deposits=b_deposits,
        withdrawals=b_withdrawals,
    )

    # fmt: off
    c_trades = [
        SimTrade(sym, side, D(q), D(p), D(fee), "USD", T[t], id=seq, order_id=seq - 100000,
                 is_maker=(t == "C3"))
        for sym, side, q, p, fee, t, seq in [
            # symbol    side   qty     price       commission  time  sequence (fill cursor)
            ("BTC/USD", "buy", "0.02", "42000.00", "5.04", "C1", 100001),
            ("ETH/USD", "buy", "1.5", "2900.00", "26.10", "C2", 100002),
            ("ETH/USD", "sell", "0.5", "3700.00", "11.10", "C3", 100003),
            ("BTC/USD", "buy", "0.01", "70000.00", "4.20", "C4", 100004),
        ]
    ]
    # fmt: on
    c_deposits = [
        SimTransfer(
            "deposit",
            "USD",
            D("10000.00"),
            T["C0"],
            id=sim_uuid("cb", "C0"),
            cb_type="fiat_deposit",
        ),
        SimTransfer(
            "deposit",
            "BTC",
            D("0.05"),
            T["C6"],
            id=sim_uuid("cb", "C6"),
            txid=_txhash("cb-C6"),
            network="bitcoin",
            cb_type="receive",
        ),
    ]
    c_withdrawals = [
        SimTransfer(
            "withdrawal",
            "ETH",
            D("0.2"),
            T["C5"],
            fee=D("0.0005"),
            id=sim_uuid("cb", "C5"),
            txid="0x" + _txhash("cb-C5"),
            network="ethereum",
            address="0x2222333344445555666677778888999900001111",
            cb_type="send",
        ),
    ]
    cro = SimAccount(
        exchange="coinbase",
        api_key=COINBASE_READONLY_KEY,
        secret=COINBASE_READONLY_SECRET,
        permissions=dict(COINBASE_READONLY_PERMISSIONS),
        balances=dict(SMALL_COINBASE_BALANCES),
        trades=c_trades,
        deposits=c_deposits,
        withdrawals=c_withdrawals,
    )
    ds = SimDataset(
        name="small",
        binance_markets=bmk,
        coinbase_markets=cmk,
        prices=prices,
        accounts={},
        notes=["binance: BNB live balance is 0.0125 above what trades and transfers imply"],
    )
    ds.add_account(ro)
    _add_binance_aliases(ds, ro)
    ds.add_account(cro)
    _add_coinbase_aliases(ds, cro)
    return ds


# --------------------------------------------------------------------------------------------
# large_dataset: generated, deterministic, fast
# --------------------------------------------------------------------------------------------

LARGE_START = ms("2023-01-01T00:00:00.000Z")
_E8 = 100_000_000


def _d8(v: int) -> Decimal:
    """An integer in units of 1e-8 -> Decimal (exact)."""
    return Decimal(v).scaleb(-8)


def large_dataset(n_trades: int = 100_000, n_symbols: int = 50, seed: int = 42) -> SimDataset:
    """``n_trades`` Binance trades over ``n_symbols`` markets ``ASSET{i}/USDT`` for the key
    ``BINANCE_READONLY_KEY`` (aliases for the trading/withdraw keys too).

    Trades are spread over 2023-01-01 .. ~2024-08 (time increases with the trade id of each
    symbol). Buys pay the fee in the base asset (0.1 %), sells in USDT (0.1 %). One USDT
    deposit per 90-day window keeps the account funded (so windows hold deposits), and one
    withdrawal of ASSET0 happens at the end. Balances equal what trades and transfers imply
    exactly (no unexplained difference). Amounts are exact in 1e-8 units.
    """
    rng = random.Random(seed)
    n_symbols = max(1, n_symbols)
    assets = [f"ASSET{i}" for i in range(n_symbols)]
    markets = {}
    price_ticks = []  # price in cents (tick 0.01)
    for a in assets:
        m = SimMarket(a, "USDT", D("0.001"), D("0.01"), D("0.001"), D("1"))
        markets[m.symbol] = m
        price_ticks.append(rng.randint(100, 100_000))  # 1.00 .. 1000.00 USDT
    span_ms = 600 * DAY_MS
    gap = max(1, span_ms // max(1, n_trades))
    holdings = [0] * n_symbols  # in 1e-8
    usdt = 0
    trades: list[SimTrade] = []
    deposits: list[SimTransfer] = []
    next_id = [1_000_000 * (i + 1) for i in range(n_symbols)]
    hist_pts: list[list[tuple[int, Decimal]]] = [[] for _ in range(n_symbols)]
    dep_every = 90 * DAY_MS
    next_dep_t = LARGE_START
    t = LARGE_START + MINUTE_MS
    rnd = rng.random
    randint = rng.randint
    dep_amount = max(100_000, n_trades * 150) * _E8

    def deposit(t_dep: int, amt: int) -> None:
        n = len(deposits)
        deposits.append(
            SimTransfer(
                "deposit",
                "USDT",
                _d8(amt),
                t_dep,
                id=f"dep-large-{n}",
                txid="0x" + _txhash("large", seed, n),
                network="ETH",
                address="0x9f3a7c1e5b2d4f6a8c0e1b3d5f7a9c1e3b5d7f9a",
            )
        )

    for k in range(n_trades):
        t += gap // 2 + int(rnd() * gap)
        while t >= next_dep_t:
            usdt += dep_amount
            deposit(next_dep_t, dep_amount)
            next_dep_t += dep_every
        i = randint(0, n_symbols - 1)
        # random walk of the price (ticks of 0.01), never below 0.10
        p = price_ticks[i]
        p = max(10, p + int((rnd() - 0.5) * p * 0.01))
        price_ticks[i] = p
        price_e8 = p * 1_000_000
        qty_steps = randint(1, 5000)  # 0.001 .. 5.000
        qty_e8 = qty_steps * 100_000
        quote_e8 = price_e8 * qty_e8 // _E8  # exact: <= 5 decimals
        sell = holdings[i] >= qty_e8 and rnd() < 0.4
        if sell:
            fee_e8 = quote_e8 // 1000  # 0.1 % of quote, exact in 1e-8
            holdings[i] -= qty_e8
            usdt += quote_e8 - fee_e8
            fee_asset = "USDT"
        else:
            if usdt < quote_e8:  # top up just before the trade (rare)
                usdt += dep_amount
                deposit(t - 1, dep_amount)
            fee_e8 = qty_e8 // 1000
            holdings[i] += qty_e8 - fee_e8
            usdt -= quote_e8
            fee_asset = assets[i]
        tid = next_id[i]
        next_id[i] = tid + 1
        price = _d8(price_e8)
        trades.append(
            SimTrade(
                f"{assets[i]}/USDT",
                "sell" if sell else "buy",
                _d8(qty_e8),
                price,
                _d8(fee_e8),
                fee_asset,
                t,
                id=tid,
                order_id=9_000_000 + k,
                is_maker=bool(k & 1),
                quote_qty=_d8(quote_e8),
            )
        )
        hist_pts[i].append((t, price))
    withdrawals: list[SimTransfer] = []
    if holdings[0] > 10 * 100_000:
        w_amt = holdings[0] // 2 // 100_000 * 100_000
        fee = 100_000  # 0.001
        holdings[0] -= w_amt + fee
        withdrawals.append(
            SimTransfer(
                "withdrawal",
                assets[0],
                _d8(w_amt),
                t + MINUTE_MS,
                fee=_d8(fee),
                id="wd-large-0",
                txid="0x" + _txhash("large-wd", seed),
                network="ETH",
                address="0x1111222233334444555566667777888899990000",
            )
        )
    balances = {a: (_d8(holdings[i]), ZERO) for i, a in enumerate(assets)}
    balances["USDT"] = (_d8(usdt), ZERO)
    prices = {}
    for i, a in enumerate(assets):
        first = (LARGE_START, hist_pts[i][0][1] if hist_pts[i] else _d8(price_ticks[i] * 10**6))
        h = PriceHistory()
        h.times = [first[0]] + [p[0] for p in hist_pts[i]]
        h.prices = [first[1]] + [p[1] for p in hist_pts[i]]
        prices[f"{a}/USDT"] = h
    ro = SimAccount(
        exchange="binance",
        api_key=BINANCE_READONLY_KEY,
        secret=BINANCE_READONLY_SECRET,
        permissions=dict(BINANCE_READONLY_PERMISSIONS),
        balances=balances,
        trades=trades,
        deposits=deposits,
        withdrawals=withdrawals,
    )
    ds = SimDataset(
        name=f"large-{n_trades}-{n_symbols}-{seed}",
        binance_markets=markets,
        coinbase_markets={},
        prices=prices,
        accounts={},
    )
    ds.add_account(ro)
    _add_binance_aliases(ds, ro)
    return ds


# --------------------------------------------------------------------------------------------
# demo_dataset
# --------------------------------------------------------------------------------------------

DEMO_ASSETS = {
    # asset: (current price USDT, lot step, tick)
    "BTC": ("67000.00", "0.00001", "0.01"),
    "ETH": ("2190.00", "0.0001", "0.01"),
    "BNB": ("600.00", "0.001", "0.01"),
    "SOL": ("150.00", "0.001", "0.01"),
    "ADA": ("0.4500", "0.1", "0.0001"),
    "XRP": ("0.5200", "1", "0.0001"),
    "DOGE": ("0.12000", "1", "0.00001"),
    "DOT": ("6.500", "0.01", "0.001"),
    "LINK": ("14.00", "0.01", "0.01"),
    "MATIC": ("0.7000", "0.1", "0.0001"),
}
DEMO_ETH_TARGET_AVG = D("2000")


def _q(x: Decimal, step: Decimal) -> Decimal:
    """Truncate to a multiple of step."""
    return (x / step).to_integral_value(rounding="ROUND_DOWN") * step


def _walk(
    rng: random.Random, t0: int, t1: int, every: int, end: Decimal, tick: Decimal, vol: float
) -> list[tuple[int, Decimal]]:
    """A random walk sampled every ``every`` ms, ending exactly at ``end``."""
    n = max(2, (t1 - t0) // every)
    logp = [0.0]
    for _ in range(n - 1):
        logp.append(logp[-1] + rng.gauss(0, vol))
    last = logp[-1]
    out = []
    for k, lp in enumerate(logp):
        f = Decimal(str(round(2.718281828459045 ** (lp - last), 6)))
        out.append((t0 + k * every, max(tick, _q(end * f, tick))))
    return out


def demo_dataset(seed: int = 7, now_ms: int | None = None) -> SimDataset:
    """A year of activity ending at ``now_ms`` (default: today 00:00 UTC, so the dataset is
    stable for a day). Binance: a few hundred trades over BTC, ETH, BNB, SOL, ADA, XRP, DOGE,
    DOT, LINK, MATIC (all /USDT) plus one ETH/BTC buy; fees in BNB or in the received asset;
    USDT/BTC deposits, SOL/ETH withdrawals. ETH: ~4 ETH at an average near 2000 USDT; the
    current ETH/USDT price is 2190.00 (just below a +10 % step at ~2200). Coinbase: ~20 fills
    on BTC-USD, ETH-USD, SOL-USD, a fiat deposit, a send and a receive.
    """
    rng = random.Random(seed)
    if now_ms is None:
        now_ms = int(datetime.now(UTC).timestamp() * 1000) // DAY_MS * DAY_MS
    t0 = now_ms - 360 * DAY_MS
    every = 4 * 3600 * 1000
    bmk = _binance_markets([(a, "USDT", v[1], v[2]) for a, v in DEMO_ASSETS.items()])
    bmk["ETH/BTC"] = SimMarket("ETH", "BTC", D("0.0001"), D("0.00001"), D("0.0001"), D("0.0001"))
    prices: dict[str, PriceHistory] = {}
    for a, (p, _step, tick) in DEMO_ASSETS.items():
        if a == "ETH":
            # mean-reverting around 2000, then a climb to 2190 in the last two weeks
            pts = []
            x = 0.0
            n = (now_ms - 14 * DAY_MS - t0) // every
            for k in range(n):
                x = 0.9 * x + rng.gauss(0, 0.02)
                pts.append(
                    (t0 + k * every, _q(DEMO_ETH_TARGET_AVG * D(str(round(1 + x, 6))), D(tick)))
                )
            climb = _walk(rng, now_ms - 14 * DAY_MS, now_ms, every, D(p), D(tick), 0.004)
            start_p = pts[-1][1]
            for k, (t, _v) in enumerate(climb):
                frac = D(k) / D(len(climb) - 1)
                pts.append((t, _q(start_p + (D(p) - start_p) * frac, D(tick))))
            pts.append((now_ms, D(p)))
        else:
            pts = _walk(rng, t0, now_ms, every, D(p), D(tick), 0.015)
            pts.append((now_ms, D(p)))
        prices[f"{a}/USDT"] = PriceHistory(pts)
    prices["ETH/BTC"] = PriceHistory(
        [
            (t, _q(prices["ETH/USDT"].at(t) / prices["BTC/USDT"].at(t), D("0.00001")))
            for t in prices["BTC/USDT"].times
        ]
    )

    bal: dict[str, Decimal] = {}

    def add(asset: str, v: Decimal) -> None:
        bal[asset] = bal.get(asset, ZERO) + v

    trades: list[SimTrade] = []
    deposits: list[SimTransfer] = []
    withdrawals: list[SimTransfer] = []
    ids = {s: 100_000_000 + 1_000_000 * k for k, s in enumerate(sorted(bmk))}
    order = [7_000_000_000]

    def px(symbol: str, t: int) -> Decimal:
        return prices[symbol].at(t)

    def trade(symbol: str, side: str, qty: Decimal, t: int, fee_mode: str) -> bool:
        m = bmk[symbol]
        qty = _q(qty, m.step)
        price = px(symbol, t)
        if qty <= 0 or price is None:
            return False
        quote_qty = qty * price
        base, quote = m.base, m.quote
        if side == "buy" and bal.get(quote, ZERO) < quote_qty:
            return False
        if side == "sell" and bal.get(base, ZERO) < qty:
            return False
        bnb_px = px("BNB/USDT", t)
        quote_usdt = quote_qty if quote == "USDT" else quote_qty * px(f"{quote}/USDT", t)
        fee_bnb = (quote_usdt * D("0.00075") / bnb_px).quantize(D("0.00000001"))
        if fee_mode == "bnb" and base != "BNB" and bal.get("BNB", ZERO) >= fee_bnb > 0:
            fee, fee_asset = fee_bnb, "BNB"
        elif side == "buy":
            fee, fee_asset = (qty * D("0.001")).quantize(D("0.00000001")), base
        else:
            fee, fee_asset = (quote_qty * D("0.001")).quantize(D("0.00000001")), quote
        ids[symbol] += rng.randint(1, 50)
        order[0] += rng.randint(1, 1000)
        trades.append(
            SimTrade(
                symbol,
                side,
                qty,
                price,
                fee,
                fee_asset,
                t,
                id=ids[symbol],
                order_id=order[0],
                is_maker=rng.random() < 0.3,
                quote_qty=quote_qty,
            )
        )
        if side == "buy":
            add(base, qty)
            add(quote, -quote_qty)
        else:
            add(base, -qty)
            add(quote, quote_qty)
        add(fee_asset, -fee)
        # the trade's price is a point of the history at the trade's time
        prices[symbol].add(t, price)
        return True

    def deposit(asset: str, amount: Decimal, t: int, network: str) -> None:
        n = len(deposits)
        deposits.append(
            SimTransfer(
                "deposit",
                asset,
                amount,
                t,
                id=f"dep-demo-{n}",
                txid="0x" + _txhash("demo-dep", seed, n),
                network=network,
                address="0x" + _txhash("demo-addr", asset)[:40],
            )
        )
        add(asset, amount)

    def withdraw(asset: str, amount: Decimal, fee: Decimal, t: int, network: str) -> None:
        n = len(withdrawals)
        withdrawals.append(
            SimTransfer(
                "withdrawal",
                asset,
                amount,
                t,
                fee=fee,
                id=f"wd-demo-{n}",
                txid="0x" + _txhash("demo-wd", seed, n),
                network=network,
                address="0x" + _txhash("demo-ext", n)[:40],
            )
        )
        add(asset, -(amount + fee))

    hour = 3_600_000
    # Every event runs in time order, so no balance is ever negative in between.
    events: list[tuple[int, int, str, tuple]] = []

    def at(t: int, kind: str, *args: object) -> None:
        events.append((t, len(events), kind, args))

    at(t0 + 2 * hour, "deposit", "USDT", D("30000"), "TRX")
    at(t0 + 5 * hour, "trade", "BNB/USDT", "buy", D("3"), "base")
    at(t0 + 120 * DAY_MS, "deposit", "USDT", D("15000"), "ETH")
    at(t0 + 150 * DAY_MS, "deposit", "BTC", D("0.05"), "BTC")
    # ETH: 8 buys totalling 4.4 ETH near 2000, one sell of 0.5 ETH, one ETH/BTC buy of 0.2,
    # one withdrawal of 0.1 (+0.001 fee)  ->  ~4.0 ETH at an average near 2000.
    eth_buys = [D(x) for x in ("0.5", "0.6", "0.4", "0.7", "0.5", "0.6", "0.5", "0.6")]
    eth_days = sorted(rng.sample(range(10, 330), len(eth_buys) + 1))
    for k, q in enumerate(eth_buys):
        t = t0 + eth_days[k] * DAY_MS + rng.randint(0, DAY_MS - 1)
        at(t, "trade", "ETH/USDT", "buy", q, "bnb" if k % 3 else "base")
    at(t0 + eth_days[-1] * DAY_MS + 7 * hour, "trade", "ETH/USDT", "sell", D("0.5"), "bnb")
    at(t0 + 200 * DAY_MS + 3 * hour, "trade", "ETH/BTC", "buy", D("0.2"), "bnb")
    at(t0 + 250 * DAY_MS, "withdraw", "ETH", D("0.1"), D("0.001"), "ETH")
    at(t0 + 300 * DAY_MS, "withdraw_sol")
    # random activity over the other assets
    for _ in range(320):
        at(t0 + 6 * hour + rng.randint(0, 350 * DAY_MS), "random")
    others = [a for a in DEMO_ASSETS if a != "ETH"]
    for t, _n, kind, args in sorted(events):
        if kind == "deposit":
            deposit(args[0], args[1], t, args[2])
        elif kind == "trade":
            trade(args[0], args[1], args[2], t, args[3])
        elif kind == "withdraw":
            if bal.get(args[0], ZERO) >= args[1] + args[2]:
                withdraw(args[0], args[1], args[2], t, args[3])
        elif kind == "withdraw_sol":
            if bal.get("SOL", ZERO) > D("1"):
                withdraw("SOL", _q(bal["SOL"] / 3, D("0.001")), D("0.01"), t, "SOL")
        else:
            a = rng.choice(others)
            sym = f"{a}/USDT"
            held = bal.get(a, ZERO)
            if held > 0 and rng.random() < 0.3:
                trade(sym, "sell", held * D(str(round(rng.uniform(0.1, 0.5), 3))), t, "bnb")
            else:
                budget = D(rng.choice((50, 100, 150, 200, 300, 500)))
                trade(sym, "buy", budget / px(sym, t), t, rng.choice(("bnb", "bnb", "base")))

    trades.sort(key=lambda tr: tr.time)
    for a in DEMO_ASSETS:
        bal.setdefault(a, ZERO)
    balances = {a: (v, ZERO) for a, v in bal.items()}
    ro = SimAccount(
        exchange="binance",
        api_key=BINANCE_READONLY_KEY,
        secret=BINANCE_READONLY_SECRET,
        permissions=dict(BINANCE_READONLY_PERMISSIONS),
        balances=balances,
        trades=trades,
        deposits=deposits,
        withdrawals=withdrawals,
    )

    # Coinbase: USD products, prices follow the Binance USDT paths
    cmk = {
        m.symbol: m
        for m in [
            SimMarket("BTC", "USD", D("0.00000001"), D("0.01"), D("0.00000001"), D("1")),
            SimMarket("ETH", "USD", D("0.00000001"), D("0.01"), D("0.00000001"), D("1")),
            SimMarket("SOL", "USD", D("0.00000001"), D("0.01"), D("0.00000001"), D("1")),
        ]
    }
    for m in cmk.values():
        src = prices[f"{m.base}/USDT"]
        prices[m.symbol] = PriceHistory(list(zip(src.times, src.prices, strict=True)))
    cbal: dict[str, Decimal] = {"USD": ZERO}
    c_trades: list[SimTrade] = []
    c_dep: list[SimTransfer] = []
    c_wd: list[SimTransfer] = []
    c_dep.append(
        SimTransfer(
            "deposit",
            "USD",
            D("8000.00"),
            t0 + 20 * DAY_MS,
            id=sim_uuid("demo-cb-fiat"),
            cb_type="fiat_deposit",
        )
    )
    cbal["USD"] += D("8000.00")
    seq = 500_000
    for k, t in enumerate(sorted(t0 + rng.randint(21, 340) * DAY_MS for _ in range(20))):
        sym = rng.choice(sorted(cmk))
        base = cmk[sym].base
        price = prices[sym].at(t)
        held = cbal.get(base, ZERO)
        if held > 0 and rng.random() < 0.25:
            qty = _q(held / 2, D("0.00000001"))
            side = "sell"
        else:
            qty = _q(D(rng.choice((100, 200, 400))) / price, D("0.00000001"))
            side = "buy"
        quote_qty = qty * price
        fee = (quote_qty * D("0.006")).quantize(D("0.01"))
        if side == "buy":
            if cbal["USD"] < quote_qty + fee:
                continue
            cbal[base] = held + qty
            cbal["USD"] -= quote_qty + fee
        else:
            cbal[base] = held - qty
            cbal["USD"] += quote_qty - fee
        seq += rng.randint(1, 20)
        c_trades.append(SimTrade(sym, side, qty, price, fee, "USD", t, id=seq, order_id=k + 1))
        prices[sym].add(t, price)
    if cbal.get("ETH", ZERO) > D("0.01"):
        amt = _q(cbal["ETH"] / 4, D("0.0001"))
        c_wd.append(
            SimTransfer(
                "withdrawal",
                "ETH",
                amt,
                t0 + 345 * DAY_MS,
                fee=D("0.0004"),
                id=sim_uuid("demo-cb-send"),
                txid="0x" + _txhash("demo-cb-send"),
                network="ethereum",
                address="0x" + _txhash("demo-cb-ext")[:40],
                cb_type="send",
            )
        )
        cbal["ETH"] -= amt + D("0.0004")
    c_dep.append(
        SimTransfer(
            "deposit",
            "BTC",
            D("0.01"),
            t0 + 350 * DAY_MS,
            id=sim_uuid("demo-cb-recv"),
            txid=_txhash("demo-cb-recv"),
            network="bitcoin",
            cb_type="receive",
        )
    )
    cbal["BTC"] = cbal.get("BTC", ZERO) + D("0.01")
    for a in ("BTC", "ETH", "SOL", "USDC"):
        cbal.setdefault(a, ZERO)
    cro = SimAccount(
        exchange="coinbase",
        api_key=COINBASE_READONLY_KEY,
        secret=COINBASE_READONLY_SECRET,
        permissions=dict(COINBASE_READONLY_PERMISSIONS),
        balances={a: (v, ZERO) for a, v in cbal.items()},
        trades=c_trades,
        deposits=c_dep,
        withdrawals=c_wd,
    )
    ds = SimDataset(
        name=f"demo-{seed}",
        binance_markets=bmk,
        coinbase_markets=cmk,
        prices=prices,
        accounts={},
    )
    ds.add_account(ro)
    _add_binance_aliases(ds, ro)
    ds.add_account(cro)
    _add_coinbase_aliases(ds, cro)
    return ds
