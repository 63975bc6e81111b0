"""The exchange side of one order: the trading key re-checked with the exchange,
the market rules and the free balance, the plan (`sizing`), then the limit sell. A lost answer
(timeout) is never simply re-sent: the order is first looked up by its client order id, and
sent again only if the exchange positively never took it. No database work happens here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import ccxt
from redis import Redis
from sqlmodel import Session, select

from exstrat_app.i18n import N_
from exstrat_app.infra import exchanges as xa
from exstrat_app.infra.crypto import SecretBox, SecretUnreadable
from exstrat_app.models import ExchangeAccount, Order, TradingKey
from exstrat_app.services.execution.eur_market import unlisted_market
from exstrat_app.services.execution.sizing import SizingProblem, plan_sell
from exstrat_app.services.execution.trading_keys import trading_credentials, trading_problem

# Builds the ccxt instance of an exchange for a trading key (tests hand in their own).
InstanceFactory = Callable[[str, xa.Credentials], ccxt.Exchange]
# Exchanges whose orders are placed.
SUPPORTED = ("binance", "coinbase")


@dataclass
class Sent:
    state: xa.OrderState | None = None
    plan_qty: Decimal | None = None
    plan_price: Decimal | None = None
    failure: str | None = None
    key_problem: str | None = None
    unknown: bool = False


def send_to_exchange(
    instance: ccxt.Exchange, order: Order, exchange: str, redis: Redis, wires: list[xa.Wire]
) -> Sent:
    sent = Sent()
    if exchange not in SUPPORTED:
        sent.failure = N_(
            "Orders on {exchange} are not supported yet: nothing was sent.",
            exchange=exchange.capitalize(),
        )
        return sent
    try:
        problem = trading_problem(exchange, xa.key_permissions(instance))  # type: ignore[arg-type]
    except xa.ExchangeAuthError as exc:
        problem = N_("The trading key was refused: {reason}", reason=exc.message)
    wires.append(xa.Wire("check_key", "{}", f'{{"problem": {problem is not None}}}', not problem))
    if problem:
        sent.failure = sent.key_problem = problem
        return sent
    xa.ensure_markets(instance, redis=redis)
    rules = xa.market_rules(instance, order.symbol)
    if rules is None:
        sent.failure = unlisted_market(exchange, order.symbol)
        return sent
    free = xa.free_balance(instance, rules.base)
    last = order.trigger_price
    try:
        plan = plan_sell(
            step_qty=order.qty or Decimal(0), free=free, target=order.price or last,
            last=last, rules=rules,
        )  # fmt: skip
    except SizingProblem as exc:
        sent.failure = exc.reason
        return sent
    sent.plan_qty, sent.plan_price = plan.qty, plan.price
    for _attempt in range(2):
        try:
            sent.state, wire = xa.place_limit_sell(
                instance, order.symbol, plan.qty, plan.price, order.client_order_id
            )
            wires.append(wire)
            return sent
        except xa.OrderRefused as exc:
            wires.append(xa.Wire("place", order.client_order_id, exc.message, False))
            sent.failure = exc.message
            return sent
        except xa.ExchangeAuthError as exc:
            wires.append(xa.Wire("place", order.client_order_id, exc.message, False))
            sent.failure = sent.key_problem = N_(
                "The trading key was refused: {reason}", reason=exc.message
            )
            return sent
        except xa.ExchangeTemporaryError as exc:
            # The answer was lost: the order may exist. Look before sending again.
            wires.append(xa.Wire("place", order.client_order_id, exc.message, False))
            try:
                found, wire = xa.find_order(instance, order.symbol, order.client_order_id)
            except xa.ExchangeError:
                break  # cannot tell whether it exists: never send it blind a second time
            wires.append(wire)
            if found is not None:
                sent.state = found
                return sent
            # the exchange positively never took it: sending it again cannot double it
    sent.unknown = True
    sent.failure = N_("The exchange did not answer; the order is being checked again.")
    return sent


def instance_for(
    session: Session, order: Order, box: SecretBox, make: InstanceFactory
) -> tuple[ccxt.Exchange | None, str, TradingKey | None, str | None]:
    account = session.get(ExchangeAccount, order.exchange_account_id or "")
    if account is None:
        return None, "", None, "This strategy is not tied to an exchange account with a key."
    key = session.exec(
        select(TradingKey).where(TradingKey.exchange_account_id == account.id)
    ).first()
    if key is None:
        return None, account.exchange, None, "No trading key on this exchange account."
    try:
        credentials = trading_credentials(key, box)
    except SecretUnreadable:
        return None, account.exchange, key, "The trading key can no longer be opened."
    return make(account.exchange, credentials), account.exchange, key, None


def default_instance(exchange: str, credentials: xa.Credentials) -> ccxt.Exchange:
    return xa.make_exchange(exchange, credentials)
