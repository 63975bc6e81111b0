"""A ladder in euros sells on ASSET/EUR only: never through USDT, whose proceeds would not be
the euros its targets and figures are in. Where no ASSET/EUR market exists, selling is
unavailable, and the person is told why instead of an order failing at 3 a.m."""

from __future__ import annotations

from exstrat_app.i18n import N_, Msg
from exstrat_app.models import Strategy

EUR = "EUR"


def eur_sale_problem(strategy: Strategy) -> Msg | None:
    """Why this strategy's steps cannot be sold for it (None: they can). A EUR ladder watched
    through EUR/USDT (`watched_on` is not ASSET/EUR) has no EUR market to sell on."""
    if strategy.quote != EUR or strategy.watched_on in (None, f"{strategy.asset}/{EUR}"):
        return None
    return N_(
        "Selling is unavailable for this ladder: Binance lists no {asset}/EUR market, and a "
        "ladder in euros sells only on {asset}/EUR.",
        asset=strategy.asset,
    )


def unlisted_market(exchange: str, symbol: str) -> Msg:
    """The refusal when the exchange lists no market for the order's symbol."""
    quote = symbol.partition("/")[2]
    if quote == EUR:
        return N_(
            "{exchange} lists no {symbol} market, and a ladder in euros sells only on "
            "{symbol}: nothing was sent.",
            exchange=exchange.capitalize(),
            symbol=symbol,
        )
    return N_("{exchange} does not list {symbol}.", exchange=exchange.capitalize(), symbol=symbol)
