"""Length and text limits of the pages' inputs (issue 12): every value a setter or a form
handler keeps or forwards is checked here first, so a websocket client cannot park 900 KB in
a state or store a NUL through a page. A refused value is not kept; the field shows why.
"""

from __future__ import annotations

from typing import Any

from exstrat_app.services.exchanges.accounts import KEY_MAX, NICKNAME_MAX, SECRET_MAX
from exstrat_app.services.strategies.inputs import NAME_MAX_CHARS

ASSET_MAX_CHARS = 20  # a ticker (domain.assets.is_ticker)
AMOUNT_MAX_CHARS = 40  # a decimal as typed: 38 digits, a point and a sign
STRATEGY_NAME_MAX_CHARS = NAME_MAX_CHARS
EXCHANGE_FIELD_MAX_CHARS = {
    "api_key": KEY_MAX,
    "api_secret": SECRET_MAX,
    "api_pass": KEY_MAX,
    "nickname": NICKNAME_MAX,
}


def text_refusal(value: Any, max_chars: int) -> str | None:
    """Why this input value is refused (not text, too long, NUL, invalid Unicode), or None."""
    if not isinstance(value, str):
        return "must be text"
    if len(value) > max_chars:
        return f"must be at most {max_chars} characters"
    if "\x00" in value:
        return "must not contain NUL characters"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode"
    return None
