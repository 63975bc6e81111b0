"""One input rule for both doors (issue 12): `/api`'s request guard and the event guard ask
infra/db/text.py, so a string refused by one is refused by the other."""

from __future__ import annotations

import pytest

from exstrat_app.api import request_guard
from exstrat_app.infra.db.text import UNSTORABLE_MESSAGE, unstorable_reason
from exstrat_app.state import guard


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("plain", None),
        ("émoji 🔐 ok", None),
        ("a\x00b", "must not contain NUL characters"),
        ("\ud800", "is not valid Unicode"),
        ("x\udfffy", "is not valid Unicode"),
    ],
)
def test_the_rule_and_both_doors_agree(text: str, reason: str | None) -> None:
    assert unstorable_reason(text) == reason
    assert guard.text_problem(text) == (UNSTORABLE_MESSAGE if reason else None)
    api_fields = request_guard.json_problems({"name": text})
    assert api_fields == ({"name": reason} if reason else {})


def test_the_event_guard_adds_only_a_length() -> None:
    assert guard.text_problem("x" * guard.MAX_TEXT) is None
    assert guard.text_problem("x" * (guard.MAX_TEXT + 1)) == guard.TOO_LONG_MESSAGE
    assert guard.UNSTORABLE_MESSAGE == request_guard.UNSTORABLE_MESSAGE == UNSTORABLE_MESSAGE
