"""What a correct sync rebuilds: the balances implied by trades and transfers."""

from __future__ import annotations

from decimal import Decimal

from .model import ZERO, SimTrade, SimTransfer


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
