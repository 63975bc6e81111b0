"""Order execution over HTTP (issue 15), every route scoped to the signed-in user:

- `GET /api/orders` (`?strategyId=`), `GET /api/orders/{id}/audit` (requests and answers,
  never a secret)
- `POST /api/strategies/{id}/steps/{stepId}/confirm` ("Sell 0.8 ETH now", within 15 min)
- `PUT /api/strategies/{id}/execution` (mode alert|confirm|auto, paper; needs the password)
- `GET|PUT|DELETE /api/exchanges/{id}/trading-key` (write-only key: checked, sealed)
- `GET|PUT /api/execution/settings` (kill switch, daily cap, global paper mode)

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
from exstrat_app.infra.crypto import SecretBox
from exstrat_app.services.errors import InvalidInput
from exstrat_app.services.execution import guardrails, lifecycle, modes, trading_keys, views
from exstrat_app.services.execution.mode_throttle import ModePasswordThrottle
from exstrat_app.services.execution.placement import enqueue_step_order

router = APIRouter(tags=["orders"])
SecretBoxDep = Annotated[SecretBox, Depends(bootstrap.secret_box)]


def mode_throttle() -> ModePasswordThrottle:
    """Wrong passwords at the mode change, counted in the sign-in throttle's storage."""
    return ModePasswordThrottle(bootstrap.limits_storage())


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


class TradingKeyIn(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    api_key: str = Field(default="", alias="apiKey", max_length=4096)
    api_secret: str = Field(default="", alias="apiSecret", max_length=8192)
    api_pass: str | None = Field(default=None, alias="apiPass", max_length=4096)


class ExecutionIn(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    mode: str = Field(default="", max_length=20)
    password: str = Field(default="", max_length=1024)
    paper: bool | None = None


class GuardrailsIn(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
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
            "The daily cap must be a number.", fields={"dailyCap": "A number."}
        ) from None
    if not value.is_finite():
        raise InvalidInput("The daily cap must be a number.", fields={"dailyCap": "A number."})
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
        password=body.password, paper=body.paper, throttle=mode_throttle(),
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
    body = body or TradingKeyIn()  # no body: still "not found" for another user's account
    view = trading_keys.set_trading_key(
        session, box, user_id=user_id, account_id=account_id, api_key=body.api_key,
        api_secret=body.api_secret, api_pass=body.api_pass,
    )  # fmt: skip
    return _key_out(view)


@router.delete("/api/exchanges/{account_id}/trading-key", status_code=204)
def remove_trading_key(account_id: str, user_id: CurrentUserId, session: SessionDep) -> Response:
    trading_keys.remove_trading_key(session, user_id=user_id, account_id=account_id)
    return Response(status_code=204)


@router.get("/api/execution/settings", response_model=GuardrailsOut)
def show_guardrails(user_id: CurrentUserId, session: SessionDep) -> GuardrailsOut:
    return _guardrails_out(guardrails.view(session, user_id))


@router.put("/api/execution/settings", response_model=GuardrailsOut)
def update_guardrails(
    body: GuardrailsIn, user_id: CurrentUserId, session: SessionDep
) -> GuardrailsOut:
    view = guardrails.update_guardrails(
        session,
        user_id,
        kill_switch=body.kill_switch,
        daily_cap=_cap(body.daily_cap),
        paper=body.paper,
    )
    return _guardrails_out(view)
