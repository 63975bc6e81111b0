"""Binance retail records beside the order book: Convert, card/bank buys (fiat payments), fiat
deposits/withdrawals (fiat orders), dust conversions, distributions, Simple Earn (positions and
rewards) and the Funding wallet. ``SimAccount.binance_retail`` holds them; the endpoints that
serve them are ``simexchange/binance/retail.py`` and ``earn.py``.

Balance effects (so a dataset's wallets can be checked by hand):
- a SUCCESS convert moves ``from_amount`` out and ``to_amount`` in, in ``wallet``;
- a Completed card buy credits ``obtain_amount`` of the crypto to ``wallet`` (the fiat was
  paid by card: it never sat in the account); a card sell debits ``source_amount``;
- a Successful fiat deposit credits ``amount`` of the fiat (what arrived, fee already taken);
  a withdrawal debits ``amount + fee``;
- a dust conversion debits each ``amount`` and credits ``transfered`` BNB (net of the service
  charge: Binance's ``transferedAmount``);
- a distribution credits ``amount`` to spot; an Earn reward adds to its Earn position.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

ZERO = Decimal(0)


@dataclass(slots=True)
class SimConvert:
    order_id: int
    from_asset: str
    from_amount: Decimal
    to_asset: str
    to_amount: Decimal
    time: int
    status: str = "SUCCESS"  # SUCCESS | PROCESS | ACCEPT_SUCCESS | FAIL
    wallet: str = "spot"


@dataclass(slots=True)
class SimCardPayment:
    order_no: str
    side: str  # "buy" (transactionType 0) | "sell" (1)
    fiat: str
    crypto: str
    source_amount: Decimal  # what was given: the fiat paid, fee included (buy)
    obtain_amount: Decimal  # what was obtained: the crypto (buy)
    fee: Decimal
    time: int
    status: str = "Completed"  # Processing | Completed | Failed | Refunded
    method: str = "Card"
    wallet: str = "spot"


@dataclass(slots=True)
class SimFiatOrder:
    order_no: str
    kind: str  # "deposit" (transactionType 0) | "withdrawal" (1)
    fiat: str
    amount: Decimal  # deposit: credited (after fee); withdrawal: sent (fee on top)
    fee: Decimal
    time: int
    status: str = "Successful"  # Processing | Failed | Successful | Finished | Refunding ...
    method: str = "BankAccount"
    wallet: str = "spot"


@dataclass(slots=True)
class SimDustDetail:
    from_asset: str
    amount: Decimal  # of from_asset given
    transfered: Decimal  # BNB credited (net)
    charge: Decimal  # BNB service charge


@dataclass(slots=True)
class SimDust:
    trans_id: int
    time: int
    details: list[SimDustDetail]


@dataclass(slots=True)
class SimDividend:
    id: int
    tran_id: int
    asset: str
    amount: Decimal
    time: int
    info: str = "distribution"


@dataclass(slots=True)
class SimEarnPosition:
    product: str  # "flexible" | "locked"
    asset: str
    amount: Decimal  # subscribed + rewards already added
    product_id: str = ""
    position_id: int = 0
    duration: int = 0  # locked: days


@dataclass(slots=True)
class SimEarnReward:
    product: str  # "flexible" | "locked"
    asset: str
    amount: Decimal
    time: int
    type: str = "REALTIME"  # flexible: BONUS | REALTIME | REWARDS
    product_id: str = ""
    position_id: int = 0


@dataclass
class BinanceRetail:
    converts: list[SimConvert] = field(default_factory=list)
    card_payments: list[SimCardPayment] = field(default_factory=list)
    fiat_orders: list[SimFiatOrder] = field(default_factory=list)
    dust: list[SimDust] = field(default_factory=list)
    dividends: list[SimDividend] = field(default_factory=list)
    earn_positions: list[SimEarnPosition] = field(default_factory=list)
    earn_rewards: list[SimEarnReward] = field(default_factory=list)
    funding: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)  # (free, locked)
