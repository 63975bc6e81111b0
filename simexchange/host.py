"""What the exchange APIs need from the server hosting them.

``SimExchange`` implements it; the Binance and Coinbase packages depend on this protocol, not
on the server, so the server can import them without an import cycle.
"""

from __future__ import annotations

from typing import Protocol

from .datasets.model import SimDataset


class SimHost(Protocol):
    #: the markets, price paths and accounts being served
    dataset: SimDataset
    #: cap on Coinbase v3 accounts per page (Coinbase: 250); lower it to exercise the cursor
    coinbase_accounts_page_size: int

    def now_ms(self) -> int:
        """The server's clock, epoch milliseconds."""
        ...
