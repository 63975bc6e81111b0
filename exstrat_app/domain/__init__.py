"""The pure money core: Decimal amounts, average-cost positions, take-profit ladders.

Pure Python + `decimal` + stdlib only (no database, exchange or UI imports), so every rule of
SPEC §4 is testable in isolation. Never pass a float in: amounts are `Decimal` end to end.
"""

from exstrat_app.domain.errors import (
    AmountTypeError,
    DomainError,
    InvalidAmount,
    LadderInvalid,
    PriceUnavailable,
)
from exstrat_app.domain.events import MOVEMENT_KINDS, UNVALUED_ROLES, Unvalued
from exstrat_app.domain.ladder import (
    LadderPlan,
    PlannedStep,
    StepSpec,
    plan_ladder,
    target_price,
    truncate_to_step,
)
from exstrat_app.domain.money import (
    FIAT,
    MONEY_CONTEXT,
    STABLE_QUOTES,
    fmt,
    is_fiat,
    is_stable,
    require_decimal,
    to_decimal,
)
from exstrat_app.domain.positions import (
    Fill,
    Movement,
    PositionState,
    PriceAt,
    is_cash,
    rebuild_positions,
)

__all__ = [
    "FIAT",
    "MONEY_CONTEXT",
    "MOVEMENT_KINDS",
    "STABLE_QUOTES",
    "UNVALUED_ROLES",
    "AmountTypeError",
    "DomainError",
    "Fill",
    "InvalidAmount",
    "LadderInvalid",
    "LadderPlan",
    "Movement",
    "PlannedStep",
    "PositionState",
    "PriceAt",
    "PriceUnavailable",
    "StepSpec",
    "Unvalued",
    "fmt",
    "is_cash",
    "is_fiat",
    "is_stable",
    "plan_ladder",
    "rebuild_positions",
    "require_decimal",
    "target_price",
    "to_decimal",
    "truncate_to_step",
]
