"""The emails of the account's credentials (docs/account.md): the reset link, "your password
was changed", the email change's confirmation link (or "already in use") to the new address
and the notice to the old one.

Each is best effort: the entry points send them after the answer (the API in a background
task), so a slow or failing mail server never shows in an answer; a failure is logged
without the address or the link. No email ever holds a password.
"""

from __future__ import annotations

import logging

from exstrat_app.infra import mail
from exstrat_app.settings import Settings

log = logging.getLogger(__name__)

FORGOT_PATH = "/forgot"
ACCOUNT_PATH = "/account"

RESET_SUBJECT = "Reset your exstrat password"
PASSWORD_CHANGED_SUBJECT = "Your exstrat password was changed"  # noqa: S105 - a subject
EMAIL_CONFIRM_SUBJECT = "Confirm your new exstrat sign-in email"
EMAIL_TAKEN_SUBJECT = "Someone tried to move another exstrat account to your email"
EMAIL_NOTICE_SUBJECT = "A change of your exstrat sign-in email was requested"


def _site(settings: Settings, path: str) -> str:
    return f"{settings.public_url.rstrip('/')}{path}"


def reset_text(url: str, ttl_minutes: int) -> str:
    return (
        "Someone (perhaps you) asked to reset the password of the exstrat account of this\n"
        "address. To choose a new password, open this link:\n\n"
        f"{url}\n\n"
        f"The link works once, for {ttl_minutes} minutes, and only the newest link you asked\n"
        "for works. If it was not you, ignore this email: your password stays as it is.\n"
    )


def password_changed_text(settings: Settings, *, kept_one: bool) -> str:
    ended = (
        "Every other signed-in browser was signed out."
        if kept_one
        else "Every signed-in browser was signed out."
    )
    return (
        f"The password of your exstrat account was just changed. {ended}\n\n"
        "If it was not you, choose a new password now with a reset link from\n"
        f"{_site(settings, FORGOT_PATH)}\n"
    )


def email_confirm_text(url: str, ttl_hours: int) -> str:
    return (
        "Someone (perhaps you) asked to make this address the sign-in email of an exstrat\n"
        "account. To confirm, open this link (you will be asked to sign in if you are not):\n\n"
        f"{url}\n\n"
        f"The link works once, for {ttl_hours} hours, and only the newest one works. If it\n"
        "was not you, ignore this email: nothing changes without the link.\n"
    )


def email_taken_text(settings: Settings) -> str:
    return (
        "Someone asked to make this address the sign-in email of another exstrat account,\n"
        "but it is already the address of an account (yours, perhaps). Nothing was changed.\n\n"
        f"If it was you, sign in with this address at {_site(settings, '/login')}.\n"
        "If it was not, you can ignore this email.\n"
    )


def email_notice_text(settings: Settings, new_email: str, ttl_hours: int) -> str:
    return (
        "Someone signed in to your exstrat account asked to change its sign-in email to\n"
        f"{new_email}.\n\n"
        "The address changes only if the link sent there is opened within "
        f"{ttl_hours} hours.\nIf it was not you, change your password now at "
        f"{_site(settings, ACCOUNT_PATH)}\n(or get a reset link from "
        f"{_site(settings, FORGOT_PATH)}): that also cancels the change.\n"
    )


def send(settings: Settings, *, to: str, subject: str, text: str) -> bool:
    """Send one of these emails; whether it went. Logged without address or content."""
    try:
        mail.send_email(to=to, subject=subject, text=text, settings=settings)
    except Exception:  # the change is done: a mail failure must not undo or hide it
        log.warning("could not send an account email (%s)", subject, exc_info=True)
        return False
    return True


def send_password_changed(settings: Settings, email: str, *, kept_one: bool) -> bool:
    text = password_changed_text(settings, kept_one=kept_one)
    return send(settings, to=email, subject=PASSWORD_CHANGED_SUBJECT, text=text)
