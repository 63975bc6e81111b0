"""The Confirm button of a confirm-mode alert ("Sell 0.8 ETH now") in the bell: the same
service as `POST /api/strategies/{id}/steps/{stepId}/confirm`, then the placement queued.
Once the validity window is over the service refuses and the person reads "expired". Either
way the feed reloads, so the bell shows "confirmed" or "expired" in place of the button."""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx

from exstrat_app import bootstrap
from exstrat_app.i18n import N_, _, render
from exstrat_app.services.errors import Conflict, ServiceError
from exstrat_app.services.execution import lifecycle
from exstrat_app.services.execution.placement import enqueue_step_order
from exstrat_app.state.base import TO_LOGIN, current_user_id
from exstrat_app.state.feed import UserFeed
from exstrat_app.state.field_errors import error_text

EXPIRED = N_("expired: this sale can no longer be confirmed, nothing was sent.")


def _confirm(user_id: str, strategy_id: str, step_id: str) -> None:
    with bootstrap.unit_of_work() as session:
        lifecycle.confirm_step(session, user_id=user_id, strategy_id=strategy_id, step_id=step_id)
    # After the commit: the job finds `pending`.
    enqueue_step_order(bootstrap.redis(), step_id, confirmed=True)


class ConfirmState(rx.State):
    @rx.event
    async def confirm(self, strategy_id: str, step_id: str) -> Any:
        user_id = await current_user_id(self)
        if user_id is None:
            return TO_LOGIN
        try:
            await asyncio.to_thread(_confirm, user_id, str(strategy_id), str(step_id))
        except Conflict as exc:
            expired = "no longer be confirmed" in exc.message
            text = render(EXPIRED) if expired else error_text(exc)
            return [rx.toast.error(text), UserFeed.refresh]
        except ServiceError as exc:
            return rx.toast.error(error_text(exc))
        from exstrat_app.state.execution import ExecutionState

        done = rx.toast.success(_("Confirmed: the sell order is being placed."))
        return [done, ExecutionState.load, UserFeed.refresh]
