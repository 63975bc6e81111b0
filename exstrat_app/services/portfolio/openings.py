"""Opening positions: what no API can show (delisted pairs, history from before the
exchange's API, coins bought elsewhere), entered by the person as a quantity of an asset that
cost a total at a date. They are part of the replay (an acquisition at that date).

Every use case is scoped to the user (another user's opening is `NotFound`) and validates its
input all at once (`InvalidInput` with a message per field). A change rebuilds the positions
in a savepoint: if the rebuild fails (e.g. Binance unreachable for a missing price) the
change stands and the next sync rebuilds. Nothing here commits: the caller owns the unit of
work.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from exstrat_app.domain.assets import is_ticker
from exstrat_app.domain.errors import DomainError
from exstrat_app.domain.money import STABLE_QUOTES, to_decimal
from exstrat_app.i18n import N_
from exstrat_app.infra.db.types import utcnow
from exstrat_app.models import OpeningPosition
from exstrat_app.services.errors import InvalidInput, NotFound
from exstrat_app.services.portfolio.rebuild import recompute_for_user

log = logging.getLogger(__name__)

MAX_NOTE = 200
OPENING_QUOTES = ("USDT", "USDC", "USD")
NOT_FOUND = N_("No such opening position.")

# Rebuilds the user's positions: `(session, user_id) -> None`. The API passes the rebuild
# with the app's Redis; the default has none (no candle or replay cache).
Rebuild = Callable[[Session, str], None]


def _default_rebuild(session: Session, user_id: str) -> None:
    recompute_for_user(session, user_id)


@dataclass(frozen=True)
class OpeningView:
    id: str
    asset: str
    quantity: Decimal
    total_cost: Decimal
    quote: str
    at: datetime
    note: str | None
    created_at: datetime


def list_openings(
    session: Session, *, user_id: str, asset: str | None = None
) -> tuple[OpeningView, ...]:
    """The user's opening positions (of one asset if given), oldest first."""
    query = select(OpeningPosition).where(OpeningPosition.user_id == user_id)  # type: ignore[arg-type]
    if asset:
        query = query.where(OpeningPosition.asset == asset.strip().upper())  # type: ignore[arg-type]
    rows = session.execute(query.order_by(OpeningPosition.at, OpeningPosition.id)).scalars()  # type: ignore[arg-type]
    return tuple(_view(o) for o in rows)


def add_opening(
    session: Session,
    *,
    user_id: str,
    asset: Any,
    quantity: Any,
    total_cost: Any,
    at: Any,
    note: Any = None,
    quote: Any = "USDT",
    rebuild: Rebuild = _default_rebuild,
) -> OpeningView:
    """Validate and store one opening position, then rebuild the positions."""
    fields: dict[str, str] = {}
    ticker = _asset(asset, fields)
    qty = _amount(quantity, "quantity", fields, positive=True)
    cost = _amount(total_cost, "totalCost", fields, positive=False)
    moment = _moment(at, fields)
    text = _note(note, fields)
    quote_text = str(quote or "USDT").strip().upper()
    if quote_text not in OPENING_QUOTES:
        fields["quote"] = N_("One of {choices}.", choices=", ".join(OPENING_QUOTES))
    if fields:
        raise InvalidInput(N_("The opening position is not valid."), fields=fields)
    assert qty is not None and cost is not None and moment is not None
    row = OpeningPosition(
        user_id=user_id,
        asset=ticker,
        quote=quote_text,
        quantity=qty,
        total_cost=cost,
        at=moment,
        note=text,
    )
    session.add(row)
    session.flush()
    log.info("opening position %s added for user %s", row.id, user_id)
    _rebuild(session, user_id, rebuild)
    return _view(row)


def delete_opening(
    session: Session, *, user_id: str, opening_id: str, rebuild: Rebuild = _default_rebuild
) -> None:
    """Delete one of the user's opening positions (NotFound for anyone else's), then rebuild."""
    row = session.get(OpeningPosition, str(opening_id)[:32])
    if row is None or row.user_id != user_id:
        raise NotFound(NOT_FOUND)
    session.delete(row)
    session.flush()
    log.info("opening position %s deleted for user %s", opening_id, user_id)
    _rebuild(session, user_id, rebuild)


def _rebuild(session: Session, user_id: str, rebuild: Rebuild) -> None:
    try:
        with session.begin_nested():
            rebuild(session, user_id)
    except Exception:  # the change stands; the next sync rebuilds
        log.warning("positions not rebuilt after an opening position changed", exc_info=True)


def _view(o: OpeningPosition) -> OpeningView:
    return OpeningView(
        id=o.id,
        asset=o.asset,
        quantity=o.quantity,
        total_cost=o.total_cost,
        quote=o.quote,
        at=o.at,
        note=o.note,
        created_at=o.created_at,
    )


# --- validation -------------------------------------------------------------------------


def _asset(value: Any, fields: dict[str, str]) -> str:
    text = value.strip().upper() if isinstance(value, str) else ""
    if not is_ticker(text):
        fields["asset"] = N_("A ticker such as ETH.")
    elif text in STABLE_QUOTES:
        fields["asset"] = N_("Stablecoins are cash: no opening position is needed.")
    return text


def _amount(value: Any, name: str, fields: dict[str, str], *, positive: bool) -> Decimal | None:
    if value is None or value == "":
        fields[name] = N_("Required.")
        return None
    try:
        amount = to_decimal(value if not isinstance(value, float) else str(value), field=name)
    except (DomainError, TypeError) as exc:
        fields[name] = getattr(exc, "message", None) or str(exc)
        return None
    if positive and amount <= 0:
        fields[name] = N_("Must be more than 0.")
        return None
    if amount < 0:
        fields[name] = N_("Must not be negative.")
        return None
    return amount


def _moment(value: Any, fields: dict[str, str]) -> datetime | None:
    """A date ("2019-06-01": midnight UTC) or an ISO time with an offset; not in the future."""
    moment: datetime | None = None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time(0), tzinfo=UTC)
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            moment = (
                datetime.combine(date.fromisoformat(text), time(0), tzinfo=UTC)
                if len(text) == 10
                else datetime.fromisoformat(text.replace("Z", "+00:00"))
            )
        except ValueError:
            moment = None
    if moment is None:
        fields["at"] = N_("A date such as {example}.", example="2019-06-01")
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    if moment > utcnow():
        fields["at"] = N_("Must not be in the future.")
        return None
    return moment


def _note(value: Any, fields: dict[str, str]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        fields["note"] = N_("Text.")
        return None
    text = value.strip()
    if len(text) > MAX_NOTE:
        fields["note"] = N_("At most {n} characters.", n=MAX_NOTE)
    return text[:MAX_NOTE] or None
