"""The simulated Coinbase Advanced Trade (v3) + App (v2) REST API (see ``api.py``)."""

from .api import CoinbaseAPI
from .auth import b64url

__all__ = ["CoinbaseAPI", "b64url"]
