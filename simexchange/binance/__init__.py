"""The simulated Binance spot REST API (see ``api.py``)."""

from .api import BinanceAPI

__all__ = ["BinanceAPI"]
