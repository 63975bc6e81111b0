"""Order execution over HTTP, every route scoped to the signed-in user:

- `GET /api/orders` (`?strategyId=`), `GET /api/orders/{id}/audit` (requests and answers,
  never a secret)
- `DELETE /api/orders/{id}`: cancel an open order on the exchange (200, the order)
- `POST /api/strategies/{id}/steps/{stepId}/confirm` ("Sell 0.8 ETH now", within 15 min)
- `PUT /api/strategies/{id}/execution` (mode alert|confirm|auto, paper; needs the password)
- `GET|PUT|DELETE /api/exchanges/{id}/trading-key` (write-only key: checked, sealed; the
  changes need the password)
- `GET|PUT /api/execution/settings` (kill switch, daily cap, global paper mode; the change
  needs the password)

The routes that need the password take it as `password` in the JSON body (DELETE too): none
given 422, wrong 401, and 5 wrong ones in 15 minutes, counted across all of them, lock them
all for the user (429 with Retry-After; docs/sensitive-changes.md).

Decimals travel as strings both ways; the response models are the one place views become JSON.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from exstrat_app import bootstrap
from exstrat_app.api.deps import CurrentUserId, RedisDep, SessionDep
from exstrat_app.api.schemas import Body, decimal_text
from exstrat_app.i18n import N_
from exstrat_app.infra.crypto import SecretBox
from exstrat_app.services.errors import InvalidInput
from exstrat_app.services.execution import (
    cancel,
    guardrails,
    lifecycle,
    modes,
    trading_keys,
    views,
    with_password,
)
from exstrat_app.services.execution.placement import enqueue_step_order

router = APIRouter(tags=["orders"])
SecretBoxDep = Annotated[SecretBox, Depends(bootstrap.secret_box)]


class OrderOut(Body):
    id: str
    strategy_id: str
    step_id: str
    symbol: str
    side: str
    status: str
    paper: bool
    qty: str | None
    price: str | None
    filled_qty: str
    avg_fill_price: str | None
    trigger_price: str
    exchange_order_id: str | None
    reason: str | None
    confirm_by: str | None
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, o: views.OrderView) -> OrderOut:
        return cls(
            id=o.id, strategy_id=o.strategy_id, step_id=o.step_id, symbol=o.symbol,
            side=o.side, status=o.status, paper=o.paper, qty=decimal_text(o.qty),
            price=decimal_text(o.price), filled_qty=decimal_text(o.filled_qty) or "0",
            avg_fill_price=decimal_text(o.avg_fill_price),
            trigger_price=decimal_text(o.trigger_price) or "0",
            exchange_order_id=o.exchange_order_id, reason=o.reason,
            confirm_by=o.confirm_by.isoformat() if o.confirm_by else None,
            created_at=o.created_at.isoformat(), updated_at=o.updated_at.isoformat(),
        )  # fmt: skip


class AuditOut(Body):
    action: str
    request: str
    response: str
    ok: bool
    at: str


class TradingKeyOut(Body):
    account_id: str
    status: str
    problem: str | None
    checked_at: str
    help: str = trading_keys.IP_HELP


class GuardrailsOut(Body):
    kill_switch: bool
    daily_cap: str | None
    paper: bool
    sold_today: str


class ExecutionOut(Body):
    strategy_id: str
    mode: str
    paper: bool


class PasswordIn(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    password: str = Field(default="", max_length=4096)


class TradingKeyIn(PasswordIn):
    api_key: str = Field(default="", alias="apiKey", max_length=4096)
    api_secret: str = Field(default="", alias="apiSecret", max_length=8192)
    api_pass: str | None = Field(default=None, alias="apiPass", max_length=4096)


class ExecutionIn(PasswordIn):
    mode: str = Field(default="", max_length=20)
    paper: bool | None = None


class GuardrailsIn(PasswordIn):
    kill_switch: bool | None = Field(default=None, alias="killSwitch")
    # A decimal string; "" or null removes the cap; absent keeps it.
    daily_cap: str | None = Field(default="keep", alias="dailyCap", max_length=60)
    paper: bool | None = None


def _guardrails_out(g: guardrails.GuardrailsView) -> GuardrailsOut:
    return GuardrailsOut(
        kill_switch=g.kill_switch, daily_cap=decimal_text(g.daily_cap), paper=g.paper,
        sold_today=decimal_text(g.sold_today) or "0",
    )  # fmt: skip


def _cap(raw: str | None) -> Decimal | str | None:
    if raw == "keep":
        return "keep"
    if raw is None or not raw.strip():
        return None
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        raise InvalidInput(
            N_("The daily cap must be a number."), fields={"dailyCap": N_("A number.")}
        ) from None
    if not value.is_finite():
        raise InvalidInput(
            N_("The daily cap must be a number."), fields={"dailyCap": N_("A number.")}
        )
    return value


@router.get("/api/orders", response_model=list[OrderOut])
def list_orders(
    user_id: CurrentUserId,
    session: SessionDep,
    strategy_id: Annotated[str | None, Query(alias="strategyId", max_length=64)] = None,
) -> list[OrderOut]:
    return [
        OrderOut.of(o) for o in views.list_orders(session, user_id=user_id, strategy_id=strategy_id)
    ]


@router.get("/api/orders/{order_id}/audit", response_model=list[AuditOut])
def order_audit(order_id: str, user_id: CurrentUserId, session: SessionDep) -> list[AuditOut]:
    rows = views.order_audit(session, user_id=user_id, order_id=order_id)
    return [
        AuditOut(
            action=a.action, request=a.request, response=a.response, ok=a.ok, at=a.at.isoformat()
        )
        for a in rows
    ]


@router.delete("/api/orders/{order_id}", response_model=OrderOut)
def cancel_order(order_id: str, user_id: CurrentUserId) -> OrderOut:
    """Cancel one of the user's open orders on its exchange: 200 with the order, now
    `cancelled` ("Cancelled by you ..."); 404 for an unknown or another user's order; 409 in
    words when it is not open (waiting, being sent, filled, cancelled...); 503 when the
    exchange did not answer. No password: a cancellation only lowers the risk."""
    view = cancel.cancel_order(
        bootstrap.engine(), bootstrap.secret_box(), user_id=user_id, order_id=order_id
    )
    return OrderOut.of(view)


@router.post(
    "/api/strategies/{strategy_id}/steps/{step_id}/confirm",
    status_code=202,
    response_model=OrderOut,
)
def confirm_step(
    strategy_id: str, step_id: str, user_id: CurrentUserId, session: SessionDep, redis: RedisDep
) -> OrderOut:
    order = lifecycle.confirm_step(
        session, user_id=user_id, strategy_id=strategy_id, step_id=step_id
    )
    out = OrderOut.of(views.OrderView.of(order))
    session.commit()  # the job must find the order `pending`: commit before enqueueing
    enqueue_step_order(redis, step_id, confirmed=True)
    return out


@router.put("/api/strategies/{strategy_id}/execution", response_model=ExecutionOut)
def set_execution(
    strategy_id: str, user_id: CurrentUserId, session: SessionDep, body: ExecutionIn | None = None
) -> ExecutionOut:
    body = body or ExecutionIn()  # no body: still "not found" for another user's strategy
    strategy = modes.set_execution_mode(
        session, user_id=user_id, strategy_id=strategy_id, mode=body.mode,
        password=body.password, paper=body.paper, throttle=bootstrap.password_throttle(),
    )  # fmt: skip
    return ExecutionOut(strategy_id=strategy.id, mode=strategy.execution_mode, paper=strategy.paper)


def _key_out(view: trading_keys.TradingKeyView) -> TradingKeyOut:
    return TradingKeyOut(
        account_id=view.account_id, status=view.status, problem=view.problem,
        checked_at=view.checked_at.isoformat(),
    )  # fmt: skip


@router.get("/api/exchanges/{account_id}/trading-key", response_model=TradingKeyOut | None)
def show_trading_key(
    account_id: str, user_id: CurrentUserId, session: SessionDep
) -> TradingKeyOut | None:
    view = trading_keys.show_trading_key(session, user_id=user_id, account_id=account_id)
    return _key_out(view) if view else None


@router.put(
    "/api/exchanges/{account_id}/trading-key", status_code=201, response_model=TradingKeyOut
)
def set_trading_key(
    account_id: str,
    user_id: CurrentUserId,
    session: SessionDep,
    box: SecretBoxDep,
    body: TradingKeyIn | None = None,
) -> TradingKeyOut:
    """Add or replace the trading key: `{apiKey, apiSecret, apiPass?, password}`."""
    body = body or TradingKeyIn()  # no body: still "not found" for another user's account
    view = with_password.set_trading_key(
        session, box, user_id=user_id, account_id=account_id, api_key=body.api_key,
        api_secret=body.api_secret, api_pass=body.api_pass, password=body.password,
        throttle=bootstrap.password_throttle(),
    )  # fmt: skip
    return _key_out(view)


@router.delete("/api/exchanges/{account_id}/trading-key", status_code=204)
def remove_trading_key(
    account_id: str, user_id: CurrentUserId, session: SessionDep, body: PasswordIn | None = None
) -> Response:
    """Remove the trading key. The password travels in a JSON body on this DELETE:
    `{"password": "..."}` (Content-Type: application/json)."""
    body = body or PasswordIn()  # no body: still "not found" for another user's account
    with_password.remove_trading_key(
        session, user_id=user_id, account_id=account_id, password=body.password,
        throttle=bootstrap.password_throttle(),
    )  # fmt: skip
    return Response(status_code=204)


@router.get("/api/execution/settings", response_model=GuardrailsOut)
def show_guardrails(user_id: CurrentUserId, session: SessionDep) -> GuardrailsOut:
    return _guardrails_out(guardrails.view(session, user_id))


@router.put("/api/execution/settings", response_model=GuardrailsOut)
def update_guardrails(
    body: GuardrailsIn, user_id: CurrentUserId, session: SessionDep
) -> GuardrailsOut:
    """`{killSwitch?, dailyCap?, paper?, password}`: the given guardrails change."""
    view = with_password.update_guardrails(
        session, user_id, password=body.password, throttle=bootstrap.password_throttle(),
        kill_switch=body.kill_switch, daily_cap=_cap(body.daily_cap), paper=body.paper,
    )  # fmt: skip
    return _guardrails_out(view)
