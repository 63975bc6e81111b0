"""The value history job (queue `ingest`): enqueued after a sync's positions step;
brings the user's stored history up to today, committing every `CHUNK_DAYS` days so the page
can show the first build's progress."""

from __future__ import annotations

from exstrat_app import bootstrap
from exstrat_app.services.portfolio.daily_closes import DailyCloses
from exstrat_app.services.portfolio.history import build_history
from exstrat_app.services.portfolio.price_history import MinuteCloses
from exstrat_app.services.portfolio.rebuild import recompute_for_user

CHUNK_DAYS = 180


def build_user_history(user_id: str) -> int:
    """Build or extend the user's history; the number of day rows written."""
    redis = bootstrap.redis()
    written = 0
    while True:
        with bootstrap.unit_of_work() as session:
            result = build_history(
                session,
                user_id,
                closes=DailyCloses(session, redis=redis),
                prices=MinuteCloses(session, redis=redis),
                max_days=CHUNK_DAYS,
            )
        written += result.rows_written
        if result.done:
            return written


def refigure_user(user_id: str) -> int:
    """The reporting currency changed: rebuild the positions in it, then the history."""
    redis = bootstrap.redis()
    with bootstrap.unit_of_work() as session:
        recompute_for_user(session, user_id, redis=redis)
    return build_user_history(user_id)
