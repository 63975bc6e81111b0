"""`python -m exstrat_app users ...`: the instance owner's own door (docs/account.md); the
parser is in runtime/cli.py.

    users [list]                 every account: email, created, confirmed, two-factor
    users reset-password EMAIL   print a reset link (single use, one hour) to hand over
    users disable-totp EMAIL     turn two-factor sign-in off, end the account's sessions

Answers go to stdout (the link is the point of `reset-password`: it is printed, never
logged); an unknown email is exit code 1 with a message on stderr.
"""

from __future__ import annotations

import argparse
import sys

from exstrat_app import bootstrap
from exstrat_app.services.auth import owner_door
from exstrat_app.services.auth.password_reset import RESET_TTL_SECONDS, reset_url
from exstrat_app.services.errors import NotFound


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def list_users() -> int:
    with bootstrap.unit_of_work() as session:
        lines = owner_door.list_accounts(session)
    if not lines:
        print("No accounts yet.")
    for line in lines:
        demo = "  (demo)" if line.demo else ""
        print(
            f"{line.email}  created {line.created_at:%Y-%m-%d %H:%M} UTC  "
            f"confirmed {_yes(line.confirmed)}  2FA {'on' if line.totp_on else 'off'}{demo}"
        )
    return 0


def reset_password(email: str) -> int:
    with bootstrap.unit_of_work() as session:
        token = owner_door.owner_reset_link(session, email)
    print(reset_url(bootstrap.settings().public_url, token))
    minutes = RESET_TTL_SECONDS // 60
    print(f"Works once, for {minutes} minutes; the account's older links no longer work.")
    return 0


def disable_totp(email: str) -> int:
    with bootstrap.unit_of_work() as session:
        was_on = owner_door.owner_disable_totp(session, email)
    state = "Two-factor sign-in is now off" if was_on else "Two-factor sign-in was already off"
    print(f"{state} for {email}; every session of the account was signed out.")
    return 0


def run_users(args: argparse.Namespace) -> int:
    try:
        if args.action == "reset-password":
            return reset_password(args.email)
        if args.action == "disable-totp":
            return disable_totp(args.email)
        return list_users()
    except NotFound as exc:
        print(f"{exc.message} ({args.email})", file=sys.stderr)
        return 1
