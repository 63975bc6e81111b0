"""The Coinbase App (v2) transactions of a retail user: simple buys and sells, converts,
rewards and types a reader may not know, as ``GET /v2/accounts/{id}/transactions`` lists them
(Coinbase App API reference, "Transactions": every transaction has ``id``, ``type``,
``status``, a signed ``amount`` {amount, currency} in the wallet's currency, a
``native_amount`` in the user's native currency (USD here), ``created_at``, and a linked
resource under the key named by its type, e.g. ``"buy": {"id", "resource", "resource_path"}``).

What the amounts hold, as ccxt's ``coinbase.parse_ledger_entry`` records them (the "buy trade"
and "sell trade" samples in ``ccxt/coinbase.py``) and as readers of the same API use them
(dali-rp2's Coinbase plugin, ``_process_fill``):

- ``buy`` in the crypto wallet: ``amount`` = +crypto received; ``native_amount`` = what was
  paid, the fee included. The linked ``buy`` carries the Buy resource's money fields
  (``total`` = paid with fees, ``subtotal`` = without, ``fee``, ``unit_price``), as Coinbase
  returns them when the resource is expanded (``GET /v2/accounts/{id}/buys/{buy_id}``); the
  simulator always includes them. Paid from a fiat wallet, that wallet lists its own ``buy``
  of ``-total`` with the same ``buy.id``.
- ``sell`` in the crypto wallet: ``amount`` = -crypto sold; ``native_amount`` = -(value before
  the fee); the linked ``sell`` has ``total`` = what was received (fee deducted),
  ``subtotal``, ``fee``, ``unit_price``; the fiat wallet lists a ``sell`` of ``+total``.
- ``trade`` (a convert): one transaction per wallet, ``-given`` in one and ``+received`` in
  the other, both with the same ``trade.id``; the spread is inside the amounts (no fee field).
- rewards (``staking_reward``, ``inflation_reward``, ``interest``, ``earn_payout``,
  ``incentives_rewards_payout``) and any other type: one transaction, ``amount`` signed.

ccxt's ``fetch_ledger`` keeps ``info`` (this raw object) on every entry, reads ``amount``'s
sign into ``direction`` and its absolute value into ``amount``, ``created_at`` into
``timestamp`` and maps ``completed`` to ``ok``; ``buy``/``sell`` become ledger type ``trade``
and every other type passes through unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from .._wire import plain
from ..datasets.cb_transactions import SimCbTransaction
from ..datasets.ids import sim_uuid
from ..datasets.model import SimAccount
from .venue import CURRENCY_NAMES, CoinbaseVenue

_TITLES = {
    "staking_reward": "Staking income",
    "inflation_reward": "Inflation reward",
    "interest": "Interest",
    "earn_payout": "Earn payout",
    "incentives_rewards_payout": "Reward",
}


def _money(amount: Decimal, cur: str) -> dict:
    return {"amount": plain(amount), "currency": cur}


def retail_transactions(venue: CoinbaseVenue, acct: SimAccount) -> Iterator[tuple[str, int, dict]]:
    """(wallet currency, time, transaction without its resource/time fields) for every
    v2 retail transaction of ``acct``."""

    def native(amount: Decimal, cur: str, t: int) -> dict:
        usd = venue.usd_value(cur, amount, t).quantize(Decimal("0.01"))
        return {"amount": plain(usd), "currency": "USD"}

    for tx in acct.cb_v2:
        name = CURRENCY_NAMES.get(tx.asset, tx.asset)
        base: dict[str, object] = {
            "id": tx.id,
            "type": tx.kind,
            "status": tx.status,
            "amount": _money(tx.amount, tx.asset),
            "description": None,
            "instant_exchange": False,
        }
        if tx.kind in ("buy", "sell"):
            yield from _simple(venue, acct, tx, base, name)
        elif tx.kind == "trade":
            yield from _convert(venue, acct, tx, base, name, native)
        else:
            base["native_amount"] = native(tx.amount, tx.asset, tx.time)
            base["details"] = {"title": _TITLES.get(tx.kind, tx.kind), "subtitle": name}
            yield tx.asset, tx.time, base


def _simple(
    venue: CoinbaseVenue, acct: SimAccount, tx: SimCbTransaction, base: dict, name: str
) -> Iterator[tuple[str, int, dict]]:
    buy = tx.kind == "buy"
    qty = abs(tx.amount)
    total = tx.quote_amount
    subtotal = total - tx.fee if buy else total + tx.fee
    res_id = sim_uuid("cb-simple", acct.uid, tx.id)
    crypto_acc = venue.account_id(acct, tx.asset)
    linked = {
        "id": res_id,
        "resource": tx.kind,
        "resource_path": f"/v2/accounts/{crypto_acc}/{tx.kind}s/{res_id}",
        "total": _money(total, tx.quote),
        "subtotal": _money(subtotal, tx.quote),
        "fee": _money(tx.fee, tx.quote),
        "unit_price": _money((subtotal / qty).quantize(Decimal("0.01")), tx.quote),
        "amount": _money(qty, tx.asset),
    }
    method = f"{tx.quote} Wallet" if tx.from_wallet else "Visa debit ****4242"
    # native_amount: a buy's is what was paid (fee included), a sell's the value before it.
    native_abs = venue.usd_value(tx.quote, total if buy else subtotal, tx.time)
    native_abs = native_abs.quantize(Decimal("0.01"))
    yield (
        tx.asset,
        tx.time,
        {
            **base,
            "native_amount": _money(native_abs if buy else -native_abs, "USD"),
            tx.kind: linked,
            "details": {
                "title": f"{'Bought' if buy else 'Sold'} {name}",
                "subtitle": f"Using {method}",
                "payment_method_name": method,
            },
        },
    )
    if tx.from_wallet:
        fiat_amt = -total if buy else total
        fiat_native = venue.usd_value(tx.quote, fiat_amt, tx.time).quantize(Decimal("0.01"))
        yield (
            tx.quote,
            tx.time,
            {
                **base,
                "id": sim_uuid("cb-simple-fiat", acct.uid, tx.id),
                "amount": _money(fiat_amt, tx.quote),
                "native_amount": _money(fiat_native, "USD"),
                tx.kind: linked,
                "details": {
                    "title": f"{'Bought' if buy else 'Sold'} {name}",
                    "subtitle": f"{'Using' if buy else 'To'} {tx.quote} Wallet",
                },
            },
        )


def _convert(
    venue: CoinbaseVenue, acct: SimAccount, tx: SimCbTransaction, base: dict, name: str, native
) -> Iterator[tuple[str, int, dict]]:
    trade_id = tx.ref or sim_uuid("cb-trade", acct.uid, tx.id)
    given_acc = venue.account_id(acct, tx.asset)
    linked = {
        "id": trade_id,
        "resource": "trade",
        "resource_path": f"/v2/accounts/{given_acc}/trades/{trade_id}",
    }
    to_name = CURRENCY_NAMES.get(tx.quote, tx.quote)
    details = {"title": f"Converted {name} to {to_name}", "subtitle": "Using Coinbase"}
    yield (
        tx.asset,
        tx.time,
        {
            **base,
            "amount": _money(-abs(tx.amount), tx.asset),
            "native_amount": native(-abs(tx.amount), tx.asset, tx.time),
            "trade": linked,
            "details": details,
        },
    )
    yield (
        tx.quote,
        tx.time,
        {
            **base,
            "id": sim_uuid("cb-trade-in", acct.uid, tx.id),
            "amount": _money(tx.quote_amount, tx.quote),
            "native_amount": native(tx.quote_amount, tx.quote, tx.time),
            "trade": linked,
            "details": details,
        },
    )
