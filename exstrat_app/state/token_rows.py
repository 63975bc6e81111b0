"""/tokens/[symbol]: the page's rows and figures as display text (the service's Decimals
in, text out), in the page's reporting currency for the money ones."""

from __future__ import annotations

from exstrat_app.domain.money import fmt
from exstrat_app.i18n import N_, _, render
from exstrat_app.services import strategies
from exstrat_app.services.portfolio.movements import MovementLine
from exstrat_app.services.portfolio.token import HoldingLine, TokenView, TradeLine, TransferLine
from exstrat_app.state.charts import price_shown
from exstrat_app.state.display import (
    DASH,
    chart_number,
    currency_of,
    exact_pct_text,
    money_in,
    money_text,
    pct_text,
    price_text,
    qty_of,
    qty_text,
    sign_of,
    signed_money_in,
    signed_money_text,
    when_text,
)

# The words of a trade's side and a transfer's type and status (unknown ones as they come).
SIDE_WORDS = {"buy": N_("buy"), "sell": N_("sell")}
TRANSFER_WORDS = {"deposit": N_("deposit"), "withdrawal": N_("withdrawal"), "ok": N_("ok"),
                  "pending": N_("pending"), "failed": N_("failed"),
                  "canceled": N_("cancelled"), "cancelled": N_("cancelled")}  # fmt: skip


def _word(words: dict[str, str], value: str) -> str:
    return render(words.get(value, value))


def trade_row(t: TradeLine) -> dict[str, str]:
    return {
        "when": when_text(t.ts),
        "symbol": t.symbol,
        "side": _word(SIDE_WORDS, t.side),
        "amount": qty_text(t.amount),
        "price": price_text(t.price),
        "cost": _amount_of(t.cost, _quote_of(t.symbol)),
        "fee": _amount_of(t.fee_cost, t.fee_asset or "") if t.fee_cost else DASH,
        "account": t.exchange,
    }


def _amount_of(value: object, asset: str) -> str:
    """ "12.5 USDT", or the bare quantity when the asset is unknown."""
    return qty_of(value, asset) if asset else qty_text(value)


def _quote_of(symbol: str) -> str:
    return symbol.split("/")[1] if "/" in symbol else ""


def transfer_row(t: TransferLine) -> dict[str, str]:
    return {
        "when": when_text(t.ts),
        "type": _word(TRANSFER_WORDS, t.type),
        "amount": qty_text(t.amount),
        "fee": qty_text(t.fee_cost) if t.fee_cost else DASH,
        "status": _word(TRANSFER_WORDS, t.status),
        "account": t.exchange,
    }


# Lazy messages (the English text until rendered where they are shown).
KIND_LABELS = {"trade": N_("Trade"), "convert": N_("Convert"), "card": N_("Card buy/sell"),
               "dust": N_("Dust"), "simple": N_("Buy/Sell"), "income": N_("Income"),
               "deposit": N_("Deposit"), "withdrawal": N_("Withdrawal"),
               "opening": N_("Opening position"), "unclassified": N_("Unclassified")}  # fmt: skip
WALLET_LABELS = {"spot": N_("Spot"), "funding": N_("Funding"),
                 "earn_flexible": N_("Earn (flexible)"),
                 "earn_locked": N_("Earn (locked)")}  # fmt: skip


def movement_row(m: MovementLine) -> dict[str, str]:
    amount = qty_text(m.amount)
    detail = m.symbol or m.source or ""
    if m.kind == "opening" and m.cost is not None:
        cost = qty_of(m.cost, "USDT")
        detail = (
            _("cost {cost} · {source}", cost=cost, source=m.source)
            if m.source
            else _("cost {cost}", cost=cost)
        )
    return {
        "when": when_text(m.ts),
        "kind": m.kind,
        "label": render(KIND_LABELS.get(m.kind, m.kind)),
        "amount": amount if m.amount < 0 else f"+{amount}",
        "detail": detail,
        "account": m.exchange or _("entered by you"),
    }


def holding_row(h: HoldingLine) -> dict[str, str]:
    return {
        "account": h.nickname or h.exchange.capitalize(),
        "wallet": render(WALLET_LABELS.get(h.wallet, h.wallet)),
        "quantity": qty_text(h.quantity),
    }


def summary_of(asset: str, view: TokenView) -> dict[str, str]:
    """The figures ("13,996.50"), and the money ones with the reporting currency too
    ("$13,996.50" / "13 996,50 €": the `*_money` keys)."""
    position = view.position
    currency = currency_of(view, "USDT")
    realized, unrealized = view.realized_pnl, view.unrealized_pnl
    unexplained = position.unexplained if position is not None else None
    unknown = position.cost_unknown_qty if position is not None else None
    return {
        "asset": asset,
        "quantity": qty_text(position.quantity if position else None),
        "avg_price": price_text(position.avg_price if position else None),
        "price": price_text(position.price if position else None),
        "value": money_text(position.value if position else None),
        "realized": signed_money_text(realized),
        "income": money_text(view.income),
        "unexplained_qty": fmt(unexplained) if unexplained and unexplained > 0 else "",
        "realized_sign": str(sign_of(realized)),
        "unrealized": signed_money_text(unrealized),
        "unrealized_sign": str(sign_of(unrealized)),
        "pnl_pct": pct_text(position.pnl_pct if position else None),
        "unexplained": qty_of(unexplained, asset) if unexplained else "",
        "cost_unknown": qty_of(unknown, asset) if unknown else "",
        "value_money": money_in(position.value if position else None, currency),
        "realized_money": signed_money_in(realized, currency),
        "unrealized_money": signed_money_in(unrealized, currency),
        "income_money": money_in(view.income, currency),
        # Euros: the prices with their sign too (unused in a USD quote, the bare ones shown).
        "avg_price_money": price_shown(position.avg_price if position else None, currency),
        "price_money": price_shown(position.price if position else None, currency),
    }


def target_line(target: strategies.LadderTarget) -> dict[str, str]:
    """A reference line of the chart: a reached target is ticked."""
    return {
        "price": chart_number(target.target_price),
        "label": exact_pct_text(target.target_pct, signed=True) + (" ✓" if target.reached else ""),
    }
