"""Rotating ENCRYPTION_KEY: re-seal every stored key still sealed with an old one, the read
keys and the trading keys (`python -m exstrat_app rotate-keys`, with the old key in
ENCRYPTION_OLD_KEYS)."""

from __future__ import annotations

import logging

from sqlmodel import select

from exstrat_app.infra.crypto import SecretBox, SecretUnreadable
from exstrat_app.models import ExchangeAccount
from exstrat_app.services.exchanges.context import SessionFactory
from exstrat_app.services.exchanges.sealing import credentials_for, reseal
from exstrat_app.services.execution.trading_keys import reseal_trading_keys

log = logging.getLogger(__name__)


def rotate_all_keys(sessions: SessionFactory, box: SecretBox) -> int:
    """Re-seal every account (then every trading key) not sealed with the box's current key
    (i.e. sealed with one of its old keys); returns how many accounts were re-sealed. Rows
    no configured key opens are left as they are and logged (their owner must add the key
    again).

    Commits each row on its own (hence a session factory, not the caller's session): an
    interruption leaves every row readable, re-sealed or not."""
    count = 0
    with sessions() as session:
        stale = session.exec(
            select(ExchangeAccount).where(ExchangeAccount.key_id != box.current_key_id)
        ).all()
        for account in stale:
            try:
                credentials = credentials_for(account, box)
            except SecretUnreadable:
                log.error("account %s: no configured key opens its secrets; skipped", account.id)
                continue
            reseal(account, credentials, box)
            session.add(account)
            session.commit()
            count += 1
    trading = reseal_trading_keys(sessions, box)
    log.info("re-encrypted %d trading key(s) with the current key", trading)
    return count
