"""pydantic's per-field messages, in the reader's language for the common kinds.

pydantic writes English only. For the kinds a client meets most (a missing field, a wrong
type, a string too short or long, a number out of range, a value not among the choices) the
message becomes one of ours (a `Msg`, rendered by `error_body` in the request's language)
with pydantic's context as placeholders. Its English is pydantic's own, word for word: if
ours would read differently (a pydantic upgrade rewording one), pydantic's text stays.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from exstrat_app.i18n import N_, Msg

Ctx = Mapping[str, Any]


def _choices(expected: object) -> Msg | str:
    """pydantic's "'a', 'b' or 'c'": the "or" in the reader's language."""
    text = str(expected)
    head, sep, last = text.rpartition(" or ")
    return N_("{choices} or {last}", choices=head, last=last) if sep else text


def _length(one: Msg, many: Callable[[int], Msg], size: object) -> Msg:
    return one if size == 1 else many(int(str(size)))


_BY_TYPE: dict[str, Callable[[Ctx], Msg]] = {
    "missing": lambda c: N_("Field required"),
    "extra_forbidden": lambda c: N_("Extra inputs are not permitted"),
    "string_type": lambda c: N_("Input should be a valid string"),
    "int_type": lambda c: N_("Input should be a valid integer"),
    "int_parsing": lambda c: N_(
        "Input should be a valid integer, unable to parse string as an integer"
    ),
    "int_from_float": lambda c: N_(
        "Input should be a valid integer, got a number with a fractional part"
    ),
    "bool_type": lambda c: N_("Input should be a valid boolean"),
    "bool_parsing": lambda c: N_("Input should be a valid boolean, unable to interpret input"),
    "decimal_type": lambda c: N_(
        "Decimal input should be an integer, float, string or Decimal object"
    ),
    "decimal_parsing": lambda c: N_("Input should be a valid decimal"),
    "float_type": lambda c: N_("Input should be a valid number"),
    "float_parsing": lambda c: N_(
        "Input should be a valid number, unable to parse string as a number"
    ),
    "list_type": lambda c: N_("Input should be a valid list"),
    "dict_type": lambda c: N_("Input should be a valid dictionary"),
    "string_too_short": lambda c: _length(
        N_("String should have at least 1 character"),
        lambda n: N_("String should have at least {n} characters", n=n),
        c.get("min_length"),
    ),
    "string_too_long": lambda c: _length(
        N_("String should have at most 1 character"),
        lambda n: N_("String should have at most {n} characters", n=n),
        c.get("max_length"),
    ),
    "greater_than": lambda c: N_("Input should be greater than {limit}", limit=c.get("gt")),
    "greater_than_equal": lambda c: N_(
        "Input should be greater than or equal to {limit}", limit=c.get("ge")
    ),
    "less_than": lambda c: N_("Input should be less than {limit}", limit=c.get("lt")),
    "less_than_equal": lambda c: N_(
        "Input should be less than or equal to {limit}", limit=c.get("le")
    ),
    "literal_error": lambda c: N_(
        "Input should be {choices}", choices=_choices(c.get("expected", ""))
    ),
    "enum": lambda c: N_("Input should be {choices}", choices=_choices(c.get("expected", ""))),
}


def field_message(error: Mapping[str, Any]) -> str:
    """One pydantic error's message: ours (translatable) for a common kind, else pydantic's."""
    english = str(error.get("msg", "invalid"))
    make = _BY_TYPE.get(str(error.get("type", "")))
    if make is None:
        return english
    try:
        ours = make(error.get("ctx") or {})
    except (TypeError, ValueError):  # a context of an unexpected shape
        return english
    return ours if str(ours) == english else english
