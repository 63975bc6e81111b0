"""The portfolio's read side: one row per asset from the stored positions, valued at the
last prices in the reporting quote, and the totals. USDT, USDC and USD are one dollar book
valued at the same dollar prices (`usd_prices.py`): the three views differ by their label
only. In euros (docs/currencies.md) the rows read the positions' euro figures and the last
prices go through `current_eur_price`.

The rows are typed values of exact Decimals; the API turns them into decimal strings and the
pages into display text, each in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from exstrat_app.domain.currency import EUR, REPORTING_QUOTES, current_eur_price
from exstrat_app.domain.money import MONEY_CONTEXT, STABLE_QUOTES
from exstrat_app.i18n import N_
from exstrat_app.models import Position
from exstrat_app.services.errors import InvalidInput
from exstrat_app.services.portfolio.rebuild import BOOK_QUOTE, ZERO
from exstrat_app.services.portfolio.usd_prices import LastPrices as LastPrices
from exstrat_app.services.portfolio.usd_prices import Priced as Priced
from exstrat_app.services.portfolio.usd_prices import direct_prices, usd_prices

VALUE_PLACES = Decimal("0.00000001")  # values and P&L in quote: 8 decimals
PCT_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class PortfolioRow:
    """One asset's position valued in the reporting quote (None: no price, or no known cost)."""

    asset: str
    quantity: Decimal  # held now (live balances)
    computed_quantity: Decimal  # explained by the trades and transfers
    avg_price: Decimal | None
    price: Decimal | None
    value: Decimal | None  # 8 decimals
    pnl: Decimal | None  # unrealized, on the units with a known cost; 8 decimals
    pnl_pct: Decimal | None  # 2 decimals
    realized_pnl: Decimal  # 8 decimals
    unexplained: Decimal  # held minus explained
    cost_unknown_qty: Decimal  # held units that arrived with no known cost
    income: Decimal = ZERO  # income received (staking, Earn, distributions) at its value; 8 dp


@dataclass(frozen=True)
class PortfolioTotals:
    value: Decimal  # of the priced rows
    pnl: Decimal  # unrealized, of the rows that have one
    realized_pnl: Decimal  # of every position, shown or not
    unpriced: tuple[str, ...]  # assets shown without a price
    income: Decimal = ZERO  # of every position, shown or not


@dataclass(frozen=True)
class PortfolioView:
    quote: str
    rows: tuple[PortfolioRow, ...]  # by value, largest first; unpriced last
    totals: PortfolioTotals


def portfolio_view(
    session: Session, *, user_id: str, prices: LastPrices, quote: str = "USDT"
) -> PortfolioView:
    """One row per asset held (or still explained by the history), values in `quote`."""
    quote = reporting_quote(quote)
    positions = [book_figures(p, quote) for p in _positions(session, user_id)]
    shown = [p for p in positions if p.quantity != 0 or p.computed_qty != 0]
    price_of = price_lookup(prices, [p.asset for p in shown], quote)
    rows = [position_row(p, price_of(p.asset)) for p in shown]
    rows.sort(key=lambda r: (r.value is None, -(r.value or ZERO), r.asset))
    return PortfolioView(quote, tuple(rows), _totals(rows, positions))


def reporting_quote(quote: str | None) -> str:
    quote = (quote or "USDT").strip().upper()
    if quote not in REPORTING_QUOTES:
        raise InvalidInput(
            N_("Unsupported quote."),
            fields={"quote": N_("One of {choices}.", choices=", ".join(REPORTING_QUOTES))},
        )
    return quote


@dataclass(frozen=True, slots=True)
class BookFigures:
    """A stored position's figures in one reporting currency (what `position_row` reads)."""

    asset: str
    quantity: Decimal
    computed_qty: Decimal
    unknown_cost_qty: Decimal
    cost_basis: Decimal
    avg_price: Decimal | None
    realized_pnl: Decimal
    income: Decimal


def book_figures(position: Any, quote: str) -> BookFigures:
    """`position` (a `Position` row) in `quote`'s book: its `eur_*` columns in euros (None
    until the first rebuild that wrote them: no cost known yet), else the dollar ones."""
    if quote == EUR:
        cost, avg = position.eur_cost_basis, position.eur_avg_price
        realized, income = position.eur_realized_pnl, position.eur_income
    else:
        cost, avg = position.cost_basis, position.avg_price
        realized, income = position.realized_pnl, position.income
    return BookFigures(
        asset=position.asset,
        quantity=position.quantity,
        computed_qty=position.computed_qty,
        unknown_cost_qty=position.unknown_cost_qty,
        cost_basis=ZERO if cost is None else cost,
        avg_price=avg,
        realized_pnl=ZERO if realized is None else realized,
        income=ZERO if income is None else income,
    )


def _positions(session: Session, user_id: str) -> list[Position]:
    return list(
        session.execute(
            select(Position).where(
                Position.user_id == user_id,  # type: ignore[arg-type]
                Position.quote == BOOK_QUOTE,  # type: ignore[arg-type]
            )
        ).scalars()
    )


def price_lookup(
    prices: LastPrices, assets: Iterable[str], quote: str
) -> Callable[[str], Decimal | None]:
    """A function asset -> last price in `quote` (None when unknown). Every dollar quote
    (USDT, USDC, USD) reads the same dollar prices (`usd_prices`: 1 for a stablecoin); in
    euros ASSET/EUR first, then the dollar price over EURUSDT for the assets with no euro
    market."""
    if quote == EUR:
        return _eur_lookup(prices, assets)
    return usd_prices(prices, assets).get


def _eur_lookup(prices: LastPrices, assets: Iterable[str]) -> Callable[[str], Decimal | None]:
    wanted = sorted({a for a in assets if a != EUR and a not in STABLE_QUOTES})
    in_eur = {a: q.price for a, q in (prices(wanted, EUR) if wanted else {}).items()}
    in_usd = usd_prices(prices, [a for a in wanted if a not in in_eur])
    # The rate from its own pairs only, as the history takes it (docs/currencies.md).
    eur_usdt = direct_prices(prices, [EUR]).get(EUR)

    def lookup(asset: str) -> Decimal | None:
        return current_eur_price(
            asset, eur_price=in_eur.get(asset), usdt_price=in_usd.get(asset), eur_usdt=eur_usdt
        )

    return lookup


def position_row(position: BookFigures, price: Decimal | None) -> PortfolioRow:
    """One position's figures in a book, valued at `price` (in that book's quote)."""
    with localcontext(MONEY_CONTEXT):
        quantity = position.quantity
        # Units with a known cost: what is held minus what arrived with no cost, never < 0.
        costed = max(quantity - position.unknown_cost_qty, ZERO)
        avg = position.avg_price
        value = _q(quantity * price) if price is not None else None
        pnl = _q((price - avg) * costed) if price is not None and avg is not None else None
        pnl_pct = (
            ((price / avg - 1) * 100).quantize(PCT_PLACES, rounding=ROUND_HALF_EVEN)
            if price is not None and avg
            else None
        )
        unexplained = quantity - position.computed_qty
    return PortfolioRow(
        asset=position.asset,
        quantity=quantity,
        computed_quantity=position.computed_qty,
        avg_price=avg,
        price=price,
        value=value,
        pnl=pnl,
        pnl_pct=pnl_pct,
        realized_pnl=_q(position.realized_pnl),
        unexplained=unexplained,
        cost_unknown_qty=min(position.unknown_cost_qty, quantity) if quantity > 0 else ZERO,
        income=_q(position.income or ZERO),
    )


def _totals(rows: list[PortfolioRow], positions: list[BookFigures]) -> PortfolioTotals:
    with localcontext(MONEY_CONTEXT):
        value = sum((r.value for r in rows if r.value is not None), ZERO)
        pnl = sum((r.pnl for r in rows if r.pnl is not None), ZERO)
        realized = sum((p.realized_pnl for p in positions), ZERO)
        income = sum((p.income or ZERO for p in positions), ZERO)
    return PortfolioTotals(
        value=value,
        pnl=pnl,
        realized_pnl=_q(realized),
        unpriced=tuple(r.asset for r in rows if r.value is None),
        income=_q(income),
    )


def _q(value: Decimal) -> Decimal:
    return value.quantize(VALUE_PLACES, rounding=ROUND_HALF_EVEN, context=MONEY_CONTEXT)
