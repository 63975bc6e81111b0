"""Coinbase App (v2) transactions that are neither Advanced Trade fills nor sends/receives/fiat
moves: simple buys and sells (the app's Buy/Sell button), converts (v2 ``trade``), rewards
(``staking_reward``, ``inflation_reward``, ``interest``, ``earn_payout``, ...) and any other
type. ``simexchange/coinbase/v2_ledger.py`` serves them with Coinbase's shapes."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

ZERO = Decimal(0)


@dataclass(slots=True)
class SimCbTransaction:
    """One v2 transaction (two for a buy/sell paid from a fiat wallet and for a convert).

    ``amount`` is the signed change of the ``asset`` wallet: a buy ``+qty``, a sell ``-qty``,
    a convert ``-given`` (``asset`` is what was given), a reward ``+amount``, anything else
    as it moved. Only ``status == "completed"`` transactions move balances.

    - buy: ``quote_amount`` is what was paid in ``quote`` (a fiat), ``fee`` included; the
      fiat wallet shows a ``buy`` of ``-quote_amount`` when ``from_wallet``.
    - sell: ``quote_amount`` is what was received in ``quote``, ``fee`` already deducted;
      the fiat wallet shows a ``sell`` of ``+quote_amount`` when ``from_wallet``.
    - trade (convert): ``quote`` is the asset received and ``quote_amount`` how much; the
      received wallet shows its own ``trade`` leg. ``ref`` is the shared ``trade.id``.
    """

    kind: str  # the v2 type
    asset: str
    amount: Decimal
    time: int
    id: str
    status: str = "completed"  # completed | pending | failed
    quote: str = ""
    quote_amount: Decimal = ZERO
    fee: Decimal = ZERO
    from_wallet: bool = True
    ref: str = ""
