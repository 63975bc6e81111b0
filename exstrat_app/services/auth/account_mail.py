"""The emails of the account's credentials (docs/account.md): the reset link, "your password
was changed", the email change's confirmation link (or "already in use") to the new address
and the notice to the old one.

Each is best effort: the entry points send them after the answer (the API in a background
task), so a slow or failing mail server never shows in an answer; a failure is logged
without the address or the link. No email ever holds a password.

Each goes out in its recipient's language (docs/translations.md): the account's saved
`locale`, or for an address that has no account yet, the language of the request that asked
for it; the callers pass it as `locale`.
"""

from __future__ import annotations

import logging

from exstrat_app.i18n import N_, Msg, render
from exstrat_app.infra import mail
from exstrat_app.settings import Settings

log = logging.getLogger(__name__)

FORGOT_PATH = "/forgot"
ACCOUNT_PATH = "/account"

RESET_SUBJECT = N_("Reset your exstrat password")
PASSWORD_CHANGED_SUBJECT = N_("Your exstrat password was changed")
EMAIL_CONFIRM_SUBJECT = N_("Confirm your new exstrat sign-in email")
EMAIL_TAKEN_SUBJECT = N_("Someone tried to move another exstrat account to your email")
EMAIL_NOTICE_SUBJECT = N_("A change of your exstrat sign-in email was requested")


def _site(settings: Settings, path: str) -> str:
    return f"{settings.public_url.rstrip('/')}{path}"


def reset_text(url: str, ttl_minutes: int) -> Msg:
    return N_(
        "Someone (perhaps you) asked to reset the password of the exstrat account of this\n"
        "address. To choose a new password, open this link:\n\n"
        "{url}\n\n"
        "The link works once, for {minutes} minutes, and only the newest link you asked\n"
        "for works. If it was not you, ignore this email: your password stays as it is.\n",
        url=url, minutes=ttl_minutes,
    )  # fmt: skip


def password_changed_text(settings: Settings, *, kept_one: bool) -> Msg:
    ended = (
        N_("Every other signed-in browser was signed out.")
        if kept_one
        else N_("Every signed-in browser was signed out.")
    )
    return N_(
        "The password of your exstrat account was just changed. {ended}\n\n"
        "If it was not you, choose a new password now with a reset link from\n"
        "{forgot_url}\n",
        ended=ended, forgot_url=_site(settings, FORGOT_PATH),
    )  # fmt: skip


def email_confirm_text(url: str, ttl_hours: int) -> Msg:
    return N_(
        "Someone (perhaps you) asked to make this address the sign-in email of an exstrat\n"
        "account. To confirm, open this link (you will be asked to sign in if you are not):\n\n"
        "{url}\n\n"
        "The link works once, for {hours} hours, and only the newest one works. If it\n"
        "was not you, ignore this email: nothing changes without the link.\n",
        url=url, hours=ttl_hours,
    )  # fmt: skip


def email_taken_text(settings: Settings) -> Msg:
    return N_(
        "Someone asked to make this address the sign-in email of another exstrat account,\n"
        "but it is already the address of an account (yours, perhaps). Nothing was changed.\n\n"
        "If it was you, sign in with this address at {login_url}.\n"
        "If it was not, you can ignore this email.\n",
        login_url=_site(settings, "/login"),
    )  # fmt: skip


def email_notice_text(settings: Settings, new_email: str, ttl_hours: int) -> Msg:
    return N_(
        "Someone signed in to your exstrat account asked to change its sign-in email to\n"
        "{new_email}.\n\n"
        "The address changes only if the link sent there is opened within {hours} hours.\n"
        "If it was not you, change your password now at {account_url}\n"
        "(or get a reset link from {forgot_url}): that also cancels the change.\n",
        new_email=new_email, hours=ttl_hours, account_url=_site(settings, ACCOUNT_PATH),
        forgot_url=_site(settings, FORGOT_PATH),
    )  # fmt: skip


def send(
    settings: Settings, *, to: str, subject: str, text: str, locale: str | None = None
) -> bool:
    """Send one of these emails in the recipient's `locale` (None: English); whether it
    went. Logged without address or content."""
    try:
        mail.send_email(
            to=to, subject=render(subject, locale or "en"), text=render(text, locale or "en"),
            settings=settings,
        )  # fmt: skip
    except Exception:  # the change is done: a mail failure must not undo or hide it
        log.warning("could not send an account email (%s)", subject, exc_info=True)
        return False
    return True


def send_password_changed(
    settings: Settings, email: str, *, kept_one: bool, locale: str | None = None
) -> bool:
    """`locale`: the account's saved language (`User.locale`)."""
    text = password_changed_text(settings, kept_one=kept_one)
    return send(settings, to=email, subject=PASSWORD_CHANGED_SUBJECT, text=text, locale=locale)
