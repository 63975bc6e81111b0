"""The replay's result cached in Redis under a fingerprint of its inputs (`rebuild.py`): a
re-sync that brought nothing new refreshes the live quantities only, instead of replaying
years of history. Both books (dollars and euros) are cached together."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, fields
from datetime import datetime
from decimal import Decimal
from typing import Any

from redis import Redis
from redis.exceptions import RedisError

from exstrat_app.domain import Unvalued
from exstrat_app.domain.positions import PositionState

log = logging.getLogger(__name__)

STATES_TTL_SECONDS = 24 * 3600  # and at least daily anyway
_STATE_FIELDS = tuple(f.name for f in fields(PositionState))

# book -> asset -> its position
Books = dict[str, dict[str, PositionState]]


def _states_key(user_id: str) -> str:
    return f"exstrat:positions:{user_id}"


def cached_books(
    redis: Redis | None, user_id: str, fingerprint: str
) -> tuple[Books, list[Unvalued]] | None:
    """(the positions of each book, the dollar book's unvalued items), or None when nothing
    is cached for these inputs."""
    if redis is None:
        return None
    try:
        raw = redis.get(_states_key(user_id))
    except RedisError:
        return None
    if not raw:
        return None
    saved = json.loads(raw)
    # A payload of the days before the euro book has no "books": replayed again.
    if saved.get("fingerprint") != fingerprint or "books" not in saved:
        return None
    books = {book: _states(states) for book, states in saved["books"].items()}
    return books, _from_json("unvalued", saved.get("unvalued", []))


def cache_books(
    redis: Redis | None, user_id: str, fingerprint: str, books: Books, items: list[Unvalued]
) -> None:
    if redis is None:
        return
    payload = {
        "fingerprint": fingerprint,
        "unvalued": _to_json("unvalued", items),
        "books": {
            book: {
                asset: {
                    name: _to_json(name, getattr(state, name))
                    for name in _STATE_FIELDS
                    # The euro book's unvalued legs are never stored: not cached either.
                    if name != "asset" and not (book == "EUR" and name == "unvalued")
                }
                for asset, state in states.items()
            }
            for book, states in books.items()
        },
    }
    try:
        redis.set(_states_key(user_id), json.dumps(payload), ex=STATES_TTL_SECONDS)
    except RedisError:
        log.warning("could not cache the positions", exc_info=True)


def _states(saved: dict[str, dict[str, Any]]) -> dict[str, PositionState]:
    return {
        asset: PositionState(
            asset=asset,
            **{
                name: _from_json(name, value)
                for name, value in values.items()
                if name in _STATE_FIELDS and name != "asset"
            },
        )
        for asset, values in saved.items()
    }


def _to_json(name: str, value: Any) -> Any:
    if name == "unvalued":
        return [
            {k: str(v) if isinstance(v, Decimal) else v.isoformat() if isinstance(v, datetime)
             else v for k, v in asdict(item).items()}
            for item in value
        ]  # fmt: skip
    return None if value is None else str(value)


def _from_json(name: str, value: Any) -> Any:
    if name == "unvalued":
        return [
            Unvalued(
                **{
                    **item,
                    "amount": Decimal(item["amount"]),
                    "ts": datetime.fromisoformat(item["ts"]),
                }
            )
            for item in value
        ]
    return None if value is None else Decimal(value)
