"""The sign-in names the page states import, at their former address.

They live in `state/base.py` now (the base every page state stands on); new code imports
them from there. Kept so the states that import `exstrat_app.state.session` need no edit.
"""

from __future__ import annotations

from exstrat_app.state.base import (
    TO_LOGIN,
    SessionState,
    current_user_id,
    go_to,
    login_url,
    session_cookie,
    user_data,
)

__all__ = [
    "TO_LOGIN",
    "SessionState",
    "current_user_id",
    "go_to",
    "login_url",
    "session_cookie",
    "user_data",
]
