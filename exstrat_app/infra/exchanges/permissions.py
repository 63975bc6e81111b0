"""What an API key may do, asked of the exchange it belongs to."""

from __future__ import annotations

import ccxt

from exstrat_app.infra.exchanges.binance import binance_key_permissions
from exstrat_app.infra.exchanges.coinbase import coinbase_key_permissions
from exstrat_app.infra.exchanges.rows import KeyPermissions


def key_permissions(instance: ccxt.Exchange) -> KeyPermissions:
    """What the key of `instance` may do, from the exchange itself (SPEC §5)."""
    if instance.id == "binance":
        return binance_key_permissions(instance)
    return coinbase_key_permissions(instance)
