"""Parsing the create/preview body of a strategy: loosely typed values in, checked
values out, every problem collected at its camelCase field path (`steps.1.targetPct`).

Inputs arrive from JSON or a form. Numbers are accepted as text, ints or Decimals, never
floats (a float has already lost the value the user typed). Nothing here reads the database:
`drafting` adds what needs it (the position, the account, the lot size).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from exstrat_app.domain.assets import is_ticker
from exstrat_app.domain.errors import InvalidAmount
from exstrat_app.domain.exits import STOP_KINDS, StopSpec
from exstrat_app.domain.ladder import StepSpec
from exstrat_app.domain.money import to_decimal
from exstrat_app.i18n import N_
from exstrat_app.services.errors import InvalidInput
from exstrat_app.services.strategies.domain_words import translatable

QUOTE = "USDT"  # a ladder's quote when the body names none
QUOTES = ("USDT", "EUR")  # what a ladder may be priced and watched in
QUOTE_ALIASES = {"USD": "USDT"}  # the reporting currency "USD" is watched in USDT
REFERENCE_TYPES = ("avgPrice", "custom")
NAME_MAX_CHARS = 100
INVALID_MESSAGE = N_("Some fields are invalid.")


@dataclass
class FieldErrors:
    """Problems found so far, by field path; the first message of a path wins."""

    fields: dict[str, str] = field(default_factory=dict)

    def add(self, path: str, message: str) -> None:
        self.fields.setdefault(path, message)

    def raise_if_any(self) -> None:
        if self.fields:
            raise InvalidInput(INVALID_MESSAGE, fields=dict(self.fields))


@dataclass(frozen=True)
class StrategyInput:
    """The body's values once parsed (None where a field was invalid or left out)."""

    asset: str | None
    ref_type: str | None
    ref_price: Decimal | None  # only for a custom reference
    base_qty: Decimal | None  # None: the quantity held
    steps: list[StepSpec]
    notify_email: bool
    notify_in_app: bool
    name: str | None
    exchange_account_id: str | None
    stop_loss: StopSpec | None = None
    quote: str = QUOTE  # USDT | EUR


def parse_strategy_input(
    errors: FieldErrors,
    *,
    asset: Any,
    reference: Any,
    base_qty: Any,
    exchange_account_id: Any,
    steps: Any,
    notify: Any,
    name: Any,
    stop_loss: Any = None,
    quote: Any = None,
) -> StrategyInput:
    """Every field parsed; problems go to `errors` (the caller raises them all at once).

    Parsed in the body's order, so the 422's `fields` list them in that order too."""
    asset_ = parse_asset(asset, errors)
    quote_ = parse_quote(quote, errors)
    ref_type, ref_price = parse_reference(reference, errors)
    base = parse_amount(base_qty, "baseQty", errors, required=False)
    specs = parse_steps(steps, errors)
    stop = parse_stop_loss(stop_loss, errors)
    notify_email, notify_in_app = parse_notify(notify, errors)
    name_ = parse_name(name, errors)
    account_id: str | None = None
    if exchange_account_id is not None and not isinstance(exchange_account_id, str):
        errors.add("exchangeAccountId", N_("must be an account id"))
    else:
        account_id = exchange_account_id
    return StrategyInput(
        asset=asset_,
        ref_type=ref_type,
        ref_price=ref_price,
        base_qty=base,
        steps=specs,
        notify_email=notify_email,
        notify_in_app=notify_in_app,
        name=name_,
        exchange_account_id=account_id,
        stop_loss=stop,
        quote=quote_,
    )


def parse_quote(value: Any, errors: FieldErrors) -> str:
    """USDT when left out; EUR; USD stands for USDT (the reporting currency's name)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return QUOTE
    quote = value.strip().upper() if isinstance(value, str) else ""
    quote = QUOTE_ALIASES.get(quote, quote)
    if quote not in QUOTES:
        errors.add("quote", N_("must be USDT or EUR"))
        return QUOTE
    return quote


def parse_amount(
    value: Any, path: str, errors: FieldErrors, *, required: bool = True
) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.add(path, N_("is required"))
        return None
    if isinstance(value, float):
        errors.add(path, N_('send decimals as strings (e.g. "10.5") or exact JSON numbers'))
        return None
    try:
        return to_decimal(value, field=path)
    except InvalidAmount as exc:
        errors.add(path, translatable(exc.message))
        return None


def parse_asset(value: Any, errors: FieldErrors) -> str | None:
    if not isinstance(value, str) or not value.strip():
        errors.add("asset", N_("is required (e.g. ETH)"))
        return None
    asset = value.strip().upper()
    if not is_ticker(asset):
        errors.add("asset", N_("must be a ticker of 1 to 20 letters or digits"))
        return None
    return asset


def parse_reference(value: Any, errors: FieldErrors) -> tuple[str | None, Decimal | None]:
    if not isinstance(value, Mapping):
        errors.add("reference", N_("is required: {type: avgPrice} or {type: custom, price}"))
        return None, None
    ref_type = value.get("type")
    if ref_type not in REFERENCE_TYPES:
        errors.add("reference.type", N_("must be avgPrice or custom"))
        return None, None
    if ref_type == "custom":
        return ref_type, parse_amount(value.get("price"), "reference.price", errors)
    return ref_type, None


def parse_steps(value: Any, errors: FieldErrors) -> list[StepSpec]:
    if not isinstance(value, Sequence) or isinstance(value, str | bytes):
        errors.add("steps", N_("must be a list of {targetPct or targetPrice, sellPct, trailPct?}"))
        return []
    specs: list[StepSpec] = []
    for i, item in enumerate(value):
        if not isinstance(item, Mapping):
            errors.add(f"steps.{i}", N_("must be an object {targetPct or targetPrice, sellPct}"))
            continue
        if (spec := _parse_step(item, i, errors)) is not None:
            specs.append(spec)
    return specs


def _parse_step(item: Mapping[str, Any], i: int, errors: FieldErrors) -> StepSpec | None:
    """{targetPct | targetPrice, sellPct, trailPct?}: a % of the reference or an absolute
    price, and an optional trail (a trailing take-profit)."""
    has_price = _given(item.get("targetPrice"))
    if has_price and _given(item.get("targetPct")):
        errors.add(f"steps.{i}.targetPrice", N_("give targetPct or targetPrice, not both"))
        return None
    target = price = None
    if has_price:
        price = parse_amount(item.get("targetPrice"), f"steps.{i}.targetPrice", errors)
    else:
        target = parse_amount(item.get("targetPct"), f"steps.{i}.targetPct", errors)
    sell = parse_amount(item.get("sellPct"), f"steps.{i}.sellPct", errors)
    trail = parse_amount(item.get("trailPct"), f"steps.{i}.trailPct", errors, required=False)
    bad_trail = _given(item.get("trailPct")) and trail is None
    if (target is None and price is None) or sell is None or bad_trail:
        return None
    return StepSpec(target_pct=target, sell_pct=sell, price=price, trail_pct=trail)


def _given(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def parse_stop_loss(value: Any, errors: FieldErrors) -> StopSpec | None:
    """None (no stop) or {type: pct | price, value, breakEven?}."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        errors.add("stopLoss", N_("must be {type: pct | price, value, breakEven} or null"))
        return None
    kind = value.get("type")
    if kind not in STOP_KINDS:
        errors.add("stopLoss.type", N_("must be pct or price"))
    amount = parse_amount(value.get("value"), "stopLoss.value", errors)
    break_even = value.get("breakEven", False)
    if not isinstance(break_even, bool):
        errors.add("stopLoss.breakEven", N_("must be true or false"))
        return None
    if kind not in STOP_KINDS or amount is None:
        return None
    return StopSpec(kind=kind, value=amount, break_even=break_even)


def parse_notify(value: Any, errors: FieldErrors) -> tuple[bool, bool]:
    """(email, in-app); both on when the body says nothing."""
    if value is None:
        return True, True
    if not isinstance(value, Mapping):
        errors.add("notify", N_("must be {email: bool, inApp: bool}"))
        return True, True
    flags = []
    for key in ("email", "inApp"):
        flag = value.get(key, True)
        if not isinstance(flag, bool):
            errors.add(f"notify.{key}", N_("must be true or false"))
            flag = True
        flags.append(flag)
    return flags[0], flags[1]


def parse_name(value: Any, errors: FieldErrors) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value.strip()) > NAME_MAX_CHARS:
        errors.add("name", N_("must be text of at most {n} characters", n=NAME_MAX_CHARS))
        return None
    return value.strip() or None
