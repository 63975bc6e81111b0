"""Design tokens: the one place for colours, widths and breakpoints.

States hand the pages plain facts (a status, a sign, an index); the pages look the colour up
here, so a colour never travels through a state. Colour names are Radix scales (the theme's
accent is teal, rxconfig.py); `rx.color(scale, step)` picks a step of one.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import Var

# ---------------------------------------------------------------- app-wide

APP_STYLE: dict[str, Any] = {
    # Figures line up in tables and cards.
    ".num": {"font_variant_numeric": "tabular-nums"},
}

ACCENT = "teal"
# The accent (teal, step 9) in hex, where no CSS variable reaches: the browser bar's colour
# (pages/head.py), the web app manifest and the icons (assets/).
ACCENT_HEX = "#12a594"
BRAND_ICON_COLOR = rx.color(ACCENT, 9)
PAGE_BACKGROUND = rx.color("gray", 2)
SURFACE = rx.color("gray", 1)  # the top bar and the drawer
BORDER = f"1px solid {rx.color('gray', 5)}"
CONTENT_MAX_WIDTH = "1200px"
AUTH_CARD_MAX_WIDTH = "420px"

# ---------------------------------------------------------------- breakpoints

# Phones (< 30em, i.e. under 480 px) get fewer table columns; the rest shows from there up.
PHONE_HIDDEN_CELL = rx.breakpoints(initial="none", xs="table-cell")
PHONE_ONLY = rx.breakpoints(initial="block", xs="none")
# The top bar's nav links move into the account menu below `sm`.
MOBILE_ONLY = rx.breakpoints(initial="flex", sm="none")
FROM_SM_INLINE = rx.breakpoints(initial="none", sm="inline")
FROM_SM_BLOCK = rx.breakpoints(initial="none", sm="block")

# ---------------------------------------------------------------- colours by meaning

FALLBACK_SCHEME = "gray"
# An exchange account's sync status (state/exchanges.py: account rows' "status").
ACCOUNT_STATUS_SCHEMES = {"connected": "green", "syncing": "blue", "queued": "blue",
                          "error": "red"}  # fmt: skip
# A strategy's status, and one step's state on its ladder.
STRATEGY_STATUS_SCHEMES = {"active": "green", "paused": "amber", "completed": "gray"}
STEP_STATE_SCHEMES = {"pending": "gray", "armed": "blue", "triggered": "orange", "done": "green"}
# A signed amount's sign as the states give it: "1" gain, "-1" loss, "0" flat/unknown.
SIGN_SCHEMES = {"1": "green", "-1": "red"}
NOTICE_SCHEME = "amber"  # unexplained balances, demo accounts
ERROR_SCHEME = "red"
DANGER_SCHEME = "red"  # destructive actions: delete, remove, sign out
SUCCESS_SCHEME = "green"
UNREAD_SCHEME = "red"  # the bell's count and the unread dot

# The allocation pie's slices, in order of size (the biggest first).
CHART_COLORS = ("#12a594", "#3e63dd", "#f76b15", "#8e4ec6", "#e5484d", "#ffc53d", "#30a46c",
                "#8b8d98")  # fmt: skip
# The token page's price chart.
PRICE_LINE = rx.color(ACCENT, 9)
AVERAGE_LINE, AVERAGE_LABEL = rx.color("blue", 9), rx.color("blue", 11)
TARGET_LINE, TARGET_LABEL = rx.color("orange", 9), rx.color("orange", 11)


def scheme_of(value: Var[str], schemes: dict[str, str]) -> Var[str]:
    """The colour scheme for a state's value (a status, a sign), gray when unknown."""
    return rx.match(value, *schemes.items(), FALLBACK_SCHEME)


def chart_color(index: Var[int]) -> Var[str]:
    """The colour of the pie slice at `index` (the palette repeats)."""
    palette: Var[list[str]] = Var.create(list(CHART_COLORS))  # type: ignore[assignment]
    return palette[index % len(CHART_COLORS)]  # type: ignore[index]
