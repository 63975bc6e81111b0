"""The money core's problems in the reader's language.

The domain (`domain/ladder.py`, `domain/exits.py`, `domain/money.py`) cannot import the i18n
layer: it states its problems in English, from fixed templates with their figures filled in.
Here every such template is written once more as a lazy message (`N_`, so the extractor sees
it); `translatable` recognises which template a domain message came from, takes its figures
back out, and returns the `Msg` that renders it in any language. A message no template
matches goes out as it is (English), never lost.
"""

from __future__ import annotations

import re
from functools import lru_cache

from exstrat_app.i18n import N_, Msg

TEMPLATES: tuple[Msg, ...] = (
    # domain/ladder.py
    N_("the reference price must be greater than 0"),
    N_("the base quantity must be greater than 0"),
    N_("the lot step must not be negative"),
    N_("add at least one step"),
    N_("at most {max} steps (got {n})"),
    N_("the sell percentages add up to {total} %; they must total at most 100 %"),
    N_("give the target as a % of the reference or as a price"),
    N_("the target price must be greater than 0"),
    N_("the target must be greater than 0 %"),
    N_("the target price must be above the reference price {price}"),
    N_("targets must increase: {pct} % is not above the previous step's {previous} %"),
    N_("targets must increase: {price} is not above the previous step's {previous}"),
    N_("the trail must be greater than 0 %"),
    N_("the trail must be below 100 %"),
    N_("the share to sell must be greater than 0 %"),
    N_("the share to sell cannot exceed 100 %"),
    N_("{pct} % of {qty} is {raw}, below the lot size {lot}: this step would sell nothing"),
    # domain/exits.py
    N_("the stop must be more than 0 % below the reference"),
    N_("the stop must be less than 100 % below the reference"),
    N_("the stop price must be greater than 0"),
    N_("the stop price must be below the reference price {price}"),
    # domain/money.py
    N_("is required"),
    N_("must be a finite number"),
    N_("{text} is not a decimal number (write it like 12.5)"),
    N_("{text} is not a decimal number"),
    N_("has {n} significant digits (at most {max})"),
    N_("has {n} decimals (at most {max})"),
    N_("has {n} digits before the point (at most {max})"),
)

_PLACEHOLDER = re.compile(r"\\\{(\w+)\\\}")  # `{name}` once re.escape'd


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    """Each template as a pattern whose named groups are its placeholders (templates with
    placeholders last: a fixed sentence wins over a pattern that could also match it)."""
    ordered = sorted(TEMPLATES, key=lambda t: "{" in t.msgid)
    return tuple(
        (re.compile(_PLACEHOLDER.sub(r"(?P<\1>.+?)", re.escape(t.msgid))), t.msgid) for t in ordered
    )


def translatable(message: str) -> str:
    """The domain's English `message` as a `Msg` of its template (itself if none fits)."""
    if isinstance(message, Msg):
        return message
    for pattern, msgid in _patterns():
        found = pattern.fullmatch(message)
        if found is not None:
            return Msg(msgid, **found.groupdict())
    return message
