"""Apprise (Telegram, Discord, Slack, ntfy, Gotify, Matrix, Pushover, JSON webhooks, ...):
one library instead of one client per service.

An Apprise URL usually carries its service's token (`tgram://<bot token>/<chat>`), so it is a
secret: nothing here logs it or returns it, and the errors are words. Apprise's own log lines
are kept away from our handlers, since some of them carry the URL.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import apprise

SEND_TIMEOUT_SECONDS = 10

# Apprise logs every URL it loads ("Loaded JSON URL: json://host/path", "Unparseable URL
# ..."), the token included at DEBUG and ERROR: its logger reaches no handler of ours.
_apprise_log = logging.getLogger("apprise")
_apprise_log.propagate = False
_apprise_log.addHandler(logging.NullHandler())


class AppriseFailed(Exception):
    """The service did not take the message (words only: never the URL)."""


@dataclass(frozen=True)
class AppriseTarget:
    service: str  # "JSON", "Telegram", ... as Apprise names it
    scheme: str  # "json", "tgram", ...


def describe(url: str) -> AppriseTarget | None:
    """What service an Apprise URL speaks to, or None when Apprise does not understand it."""
    plugin = apprise.Apprise.instantiate(url.strip(), suppress_exceptions=True)
    if plugin is None:
        return None
    scheme = url.strip().split("://", 1)[0].lower()
    return AppriseTarget(service=str(plugin.service_name), scheme=scheme)


def send_apprise(url: str, *, title: str, body: str) -> None:
    """Send one message; raises AppriseFailed when the service refused or was unreachable."""
    notifier = apprise.Apprise()
    if not notifier.add(url.strip()):
        raise AppriseFailed("Apprise does not understand this URL")
    ok = notifier.notify(body=body, title=title, timeout=SEND_TIMEOUT_SECONDS)
    if not ok:
        raise AppriseFailed("the service did not accept the message")
