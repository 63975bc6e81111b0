"""The one rule for text the database can hold, shared by every door (`/api`'s request guard,
the Reflex event guard): no NUL character (PostgreSQL's text refuses it: psycopg raises
DataError) and nothing that is not encodable as UTF-8 (a lone UTF-16 surrogate such as JSON's
"\\ud800": SQLite and psycopg both raise UnicodeEncodeError). Pure: no I/O.
"""

from __future__ import annotations

from exstrat_app.i18n import N_, Msg

# The sentence both doors answer with; `unstorable_reason` words the per-field detail.
UNSTORABLE_MESSAGE = N_("Text must not contain NUL characters or invalid Unicode.")


def unstorable_reason(text: str) -> Msg | None:
    """Why `text` cannot be stored ("must not contain NUL characters", "is not valid
    Unicode"), or None when it can."""
    if "\x00" in text:
        return N_("must not contain NUL characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return N_("is not valid Unicode")
    return None
