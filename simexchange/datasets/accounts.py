"""Keys sharing one exchange account: the trading/withdraw/transfer keys the app must refuse
see the same trades, transfers and balances as the read-only key."""

from __future__ import annotations

from dataclasses import replace

from .keys import (
    BINANCE_TRADING_KEY,
    BINANCE_TRADING_SECRET,
    BINANCE_WITHDRAW_KEY,
    BINANCE_WITHDRAW_SECRET,
    COINBASE_ED25519_KEY,
    COINBASE_ED25519_SECRET,
    COINBASE_TRADING_KEY,
    COINBASE_TRADING_SECRET,
    COINBASE_TRANSFER_KEY,
    COINBASE_TRANSFER_SECRET,
)
from .model import SimAccount, SimDataset


def alias(account: SimAccount, api_key: str, secret: str, **perms: object) -> SimAccount:
    """Another key on the same exchange account (shares trades, transfers and balances)."""
    return replace(
        account, api_key=api_key, secret=secret, permissions={**account.permissions, **perms}
    )


def add_binance_aliases(ds: SimDataset, ro: SimAccount) -> None:
    ds.add_account(
        alias(ro, BINANCE_TRADING_KEY, BINANCE_TRADING_SECRET, enableSpotAndMarginTrading=True)
    )
    ds.add_account(
        alias(
            ro,
            BINANCE_WITHDRAW_KEY,
            BINANCE_WITHDRAW_SECRET,
            enableWithdrawals=True,
            enableInternalTransfer=True,
            permitsUniversalTransfer=True,
        )
    )


def add_coinbase_aliases(ds: SimDataset, ro: SimAccount) -> None:
    ds.add_account(alias(ro, COINBASE_TRADING_KEY, COINBASE_TRADING_SECRET, can_trade=True))
    ds.add_account(alias(ro, COINBASE_TRANSFER_KEY, COINBASE_TRANSFER_SECRET, can_transfer=True))
    ds.add_account(alias(ro, COINBASE_ED25519_KEY, COINBASE_ED25519_SECRET))
