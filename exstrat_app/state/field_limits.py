"""Length and text limits of the pages' inputs: every value a setter or a form
handler keeps or forwards is checked here first, so a websocket client cannot park 900 KB in
a state or store a NUL through a page. A refused value is not kept; the field shows why.
"""

from __future__ import annotations

from typing import Any

from exstrat_app.i18n import N_, _, render
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
    """Why this input value is refused (not text, too long, NUL, invalid Unicode), or None:
    the end of a sentence about the field ("must be at most 40 characters"), in the reader's
    language."""
    if not isinstance(value, str):
        return _("must be text")
    if len(value) > max_chars:
        return _("must be at most {n} characters", n=max_chars)
    if "\x00" in value:
        return _("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return _("is not valid Unicode")
    return None


# How the exchange forms name their inputs in a refusal ("api secret must be text").
FIELD_WORDS = {"api_key": N_("api key"), "api_secret": N_("api secret"),
               "api_pass": N_("api pass"), "nickname": N_("nickname")}  # fmt: skip


def invalid_fields_text(refused: dict[str, str]) -> str:
    """ "Some fields are invalid: api key must be text; nickname ..." for the refusals
    (input name -> `text_refusal`)."""
    parts = [
        _("{field} {problem}", field=render(FIELD_WORDS.get(name, name)), problem=problem)
        for name, problem in refused.items()
    ]
    return _("Some fields are invalid: {problems}", problems="; ".join(parts))
