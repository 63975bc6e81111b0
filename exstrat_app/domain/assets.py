"""Asset tickers: the one rule for what a ticker looks like (ETH, BTC, 1INCH ...).

Used by the strategy form, the `/api/prices` query and the token page: all three accept the
same tickers, so the rule lives here, in the pure domain, where every layer may read it.
"""

from __future__ import annotations

import re

# Upper-case letters and digits, 1 to 20 of them (Binance's and Coinbase's base assets).
TICKER_RE = re.compile(r"^[A-Z0-9]{1,20}$")


def is_ticker(text: str) -> bool:
    """True for an upper-case ticker such as "ETH"; callers upper-case user input first."""
    return TICKER_RE.fullmatch(text) is not None
