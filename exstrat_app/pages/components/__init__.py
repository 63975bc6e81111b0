"""Stateless building blocks shared by the pages: they take values and Vars, never a state.

feedback (errors, empty and not-found states, loading skeletons), figures (titles, stat
cards, signed amounts), tables (frames and pagers), auth_card (the frame and form pieces of
/login, /signup and /confirm).
The breakpoints they use live in `pages/styles.py`.
"""

from __future__ import annotations

from exstrat_app.pages.components.auth_card import (
    auth_card,
    auth_form,
    email_field,
    labelled,
    password_field,
)
from exstrat_app.pages.components.feedback import (
    empty_state,
    error_callout,
    field_error,
    not_found,
    skeleton_rows,
)
from exstrat_app.pages.components.figures import as_number, page_title, pnl_text, stat
from exstrat_app.pages.components.tables import pager, table_frame

__all__ = [
    "as_number",
    "auth_card",
    "auth_form",
    "email_field",
    "empty_state",
    "error_callout",
    "field_error",
    "labelled",
    "not_found",
    "page_title",
    "pager",
    "password_field",
    "pnl_text",
    "skeleton_rows",
    "stat",
    "table_frame",
]
