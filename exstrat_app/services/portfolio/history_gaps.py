"""Where the value history and the live portfolio part (issue 16), recorded as data.

The history values what the trades and transfers explain, day by day (a replay: it cannot know
a past balance nobody recorded). The portfolio page values what the exchanges say is held
today (spot + Funding + Earn). They differ by every balance no recorded movement explains: an
Earn reward paid before the rewards history the exchange still serves, an airdrop of a kind we
do not read, coins moved in from an address we never saw. Rather than bend either figure, the
history carries the gap per asset so the page can say "your history explains 1.5 ETH of the
2 ETH you hold today".

The figures come from the stored positions (`quantity` = live, `computed_qty` = replayed), the
same rows the portfolio page reads: no second replay.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlmodel import Session, col

from exstrat_app.models import Position


@dataclass(frozen=True)
class QuantityGap:
    """One asset whose live quantity is not what its history explains."""

    asset: str
    held: Decimal  # live balances, all wallets (what the portfolio page values)
    explained: Decimal  # rebuilt from trades and transfers (what the history values)

    @property
    def gap(self) -> Decimal:
        """Positive: held but unexplained; negative: explained but gone (e.g. a missed fee)."""
        return self.held - self.explained


def quantity_gaps(session: Session, user_id: str) -> tuple[QuantityGap, ...]:
    """Every asset where the live quantity and the replayed one differ, by asset name."""
    rows = session.execute(
        select(Position.asset, Position.quantity, Position.computed_qty)
        .where(col(Position.user_id) == user_id)
        .where(col(Position.quantity) != col(Position.computed_qty))
        .order_by(col(Position.asset))
    ).all()
    return tuple(QuantityGap(asset, held, explained) for asset, held, explained in rows)
