"""Words in the reader's language: English (the source) and French.

Rules (docs/translations.md):
- every sentence a person reads is written in English in the code and marked for extraction:
  `_("...")` translates now, `N_("...")` keeps a lazy message (a `Msg`, which is a `str` in
  English) to render later in the reader's locale (service errors, queued messages), `T("...")`
  (pages only) draws both languages into the compiled page;
- placeholders are named and brace-formatted: `_("{asset} reached {price}", asset=..., ...)`;
- the locale of the code running now is a context variable: the socket middleware sets it for
  a page event, the API middleware for a request, a worker around each recipient
  (`use_locale`). Nothing reads a process-wide setting.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from starlette.requests import cookie_parser

from exstrat_app.i18n.catalog import LOCALES, translations

DEFAULT_LOCALE = "en"
LOCALE_COOKIE = "exstrat_locale"

_locale: ContextVar[str] = ContextVar("locale", default=DEFAULT_LOCALE)


def valid_locale(value: object) -> str | None:
    """ "fr" for "fr", "fr-FR", "FR_fr"; None for anything we do not speak."""
    if not isinstance(value, str) or not value:
        return None
    base = value.strip().replace("_", "-").split("-")[0].lower()
    return base if base in LOCALES else None


def negotiate(accept_language: str | None) -> str:
    """The best of our locales for an Accept-Language header (q-values honoured)."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "").split(",")):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        found = valid_locale(tag)
        if found and quality > 0:
            ranked.append((-quality, index, found))
    return min(ranked)[2] if ranked else DEFAULT_LOCALE


def request_locale(cookie_header: str | None, accept_language: str | None) -> str:
    """A browser's language: the `exstrat_locale` cookie (the reader's choice), else the
    Accept-Language header, else English."""
    chosen = valid_locale(cookie_parser(cookie_header or "").get(LOCALE_COOKIE))
    return chosen or negotiate(accept_language)


def current_locale() -> str:
    return _locale.get()


def set_locale(locale: str | None) -> None:
    """Set the locale for the rest of this task (a page event, a request)."""
    _locale.set(valid_locale(locale) or DEFAULT_LOCALE)


@contextmanager
def use_locale(locale: str | None) -> Iterator[str]:
    """Render in `locale` inside the block (a worker writing to one recipient)."""
    token = _locale.set(valid_locale(locale) or DEFAULT_LOCALE)
    try:
        yield _locale.get()
    finally:
        _locale.reset(token)


def _fill(text: str, params: Mapping[str, Any], locale: str) -> str:
    if not params:
        return text
    return text.format(**{k: render(v, locale) for k, v in params.items()})


def translate(msgid: str, locale: str | None = None, **params: Any) -> str:
    loc = valid_locale(locale) or current_locale()
    return _fill(translations(loc).gettext(msgid), params, loc)


def _(msgid: str, **params: Any) -> str:
    """`msgid` in the current locale, placeholders filled."""
    return translate(msgid, None, **params)


gettext = _


def ngettext(singular: str, plural: str, n: int, **params: Any) -> str:
    """ "1 step" / "3 steps": `n` is also a placeholder ({n})."""
    loc = current_locale()
    return _fill(translations(loc).ngettext(singular, plural, n), {"n": n, **params}, loc)


class Msg(str):
    """A message rendered later in the reader's locale; as a `str` it is the English text.

    Services raise and queue these, entry points `render` them for their reader."""

    msgid: str
    params: dict[str, Any]

    def __new__(cls, msgid: str, **params: Any) -> Msg:
        made = super().__new__(cls, _fill(msgid, params, DEFAULT_LOCALE))
        made.msgid, made.params = msgid, params
        return made

    def __reduce__(self) -> tuple[Any, ...]:  # queued jobs pickle their arguments
        return (_rebuild, (self.msgid, self.params))


def _rebuild(msgid: str, params: dict[str, Any]) -> Msg:
    return Msg(msgid, **params)


def N_(msgid: str, **params: Any) -> Msg:
    return Msg(msgid, **params)


def render(value: object, locale: str | None = None) -> str:
    """A `Msg` in `locale` (default: the current one); any other value as its text."""
    if isinstance(value, Msg):
        loc = valid_locale(locale) or current_locale()
        return _fill(translations(loc).gettext(value.msgid), value.params, loc)
    return "" if value is None else str(value)


__all__ = [
    "DEFAULT_LOCALE",
    "LOCALES",
    "LOCALE_COOKIE",
    "N_",
    "Msg",
    "_",
    "current_locale",
    "gettext",
    "negotiate",
    "ngettext",
    "render",
    "request_locale",
    "set_locale",
    "translate",
    "use_locale",
    "valid_locale",
]  # fmt: skip
