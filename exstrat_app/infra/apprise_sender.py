"""Apprise (Telegram, Discord, Slack, ntfy, Gotify, Matrix, Pushover, JSON webhooks, ...):
one library instead of one client per service, held to the services we list.

An Apprise URL usually carries its service's token (`tgram://<bot token>/<chat>`), so it is a
secret: nothing here logs it or returns it, and the errors are words. Apprise's own log lines
are kept away from our handlers, since some of them carry the URL.

A URL is a user's instruction to our server, so (docs/outbound.md):
- only the schemes in `SCHEMES` are taken: chat and push services, webhooks, ntfy, mailto;
  never a local or file-reading one (syslog, dbus, irc, vapid's keyfile/subfile, templates);
- a self-hosted service's host is checked by the outbound guard when the URL is added, and
  every connection of every send is checked again (`outbound.guarded_sends`);
- one URL reaches at most `MAX_TARGETS` targets, with no retry of Apprise's own and short
  socket timeouts, all inside one deadline: a test or an alert cannot tie a worker up.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

import apprise

from exstrat_app.i18n import N_
from exstrat_app.infra.outbound import (
    OutboundPolicy,
    OutboundRefused,
    check_destination,
    guarded_sends,
)

SEND_DEADLINE_SECONDS = 15.0
CONNECT_TIMEOUT_SECONDS = 3.0
READ_TIMEOUT_SECONDS = 5.0
MAX_TARGETS = 10
NOT_DELIVERED = N_("could not deliver to this channel")
TOO_SLOW = N_("the destination took too long")

# Services whose API host is fixed by the service (the URL's "host" is a token or an id).
HOSTED_SCHEMES = frozenset(
    {
        "tgram", "discord", "slack", "msteams", "workflow", "workflows", "gchat", "pover",
        "pbul", "zulip", "wxteams", "webex", "opsgenie", "pagerduty", "spush", "simplepush",
        "psafer", "psafers", "ifttt", "join", "line",
    }
)  # fmt: skip
# Services a person may host themselves: the URL's host is where we connect.
SELF_HOSTED_SCHEMES = frozenset(
    {
        "json", "jsons", "form", "forms", "xml", "xmls", "gotify", "gotifys", "mmost",
        "mmosts", "rocket", "rockets", "hassio", "hassios", "matrix", "matrixs", "signal",
        "signals", "bark", "barks", "mastodon", "mastodons", "toot", "toots", "mailto",
        "mailtos", "ntfy", "ntfys",
    }
)  # fmt: skip
SCHEMES = HOSTED_SCHEMES | SELF_HOSTED_SCHEMES
# Options that make Apprise read a local file or fetch another URL on our side.
FORBIDDEN_OPTIONS = frozenset(
    {"template", "keyfile", "subfile", "pgpkey", "pgphome", "attach", "certfile", "cafile"}
)

# Apprise logs every URL it loads ("Loaded JSON URL: json://host/path", "Unparseable URL
# ..."), the token included at DEBUG and ERROR: its logger reaches no handler of ours.
_apprise_log = logging.getLogger("apprise")
_apprise_log.propagate = False
_apprise_log.addHandler(logging.NullHandler())
# Sends run in the caller's thread, one service at a time, inside the guard's deadline.
_ASSET = apprise.AppriseAsset(async_mode=False)


class AppriseFailed(Exception):
    """The service did not take the message (words only: never the URL, status or body)."""


class AppriseRefused(AppriseFailed):
    """The URL is not one we send to (scheme, option, targets or destination); in words."""


@dataclass(frozen=True)
class AppriseTarget:
    service: str  # "JSON", "Telegram", ... as Apprise names it
    scheme: str  # "json", "tgram", ...


def _scheme(url: str) -> str:
    return url.split("://", 1)[0].lower() if "://" in url else ""


def _check_options(url: str) -> None:
    query = urlsplit(url).query
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key.lower() in FORBIDDEN_OPTIONS or value.lower().startswith("file:"):
            raise AppriseRefused(
                N_("the option {option} is not allowed in a channel URL", option=repr(key))
            )


def _plugin(url: str) -> apprise.NotifyBase:
    """The URL's plugin with our limits, or AppriseRefused in words."""
    scheme = _scheme(url)
    if scheme not in SCHEMES:
        if not scheme:
            raise AppriseRefused(N_("this is not a notification service we send to"))
        raise AppriseRefused(
            N_("{scheme}:// is not a notification service we send to", scheme=scheme)
        )
    _check_options(url)
    plugin = apprise.Apprise.instantiate(url, asset=_ASSET, suppress_exceptions=True)
    if plugin is None:
        raise AppriseRefused(N_("Apprise does not understand this URL"))
    plugin.retry = 0  # our own retries (RQ) decide; Apprise's would outlive the deadline
    plugin.socket_connect_timeout = CONNECT_TIMEOUT_SECONDS
    plugin.socket_read_timeout = READ_TIMEOUT_SECONDS
    if len(plugin) > MAX_TARGETS:
        raise AppriseRefused(N_("a channel URL reaches at most {n} targets", n=MAX_TARGETS))
    return plugin


def _destination(plugin: apprise.NotifyBase, scheme: str) -> tuple[str, int] | None:
    """Where a self-hosted service's URL makes us connect (None: the service's own host)."""
    if scheme not in SELF_HOSTED_SCHEMES:
        return None
    if scheme.startswith("mailto"):
        host = getattr(plugin, "smtp_host", None) or plugin.host
        return str(host), int(getattr(plugin, "port", None) or 25)
    if str(getattr(plugin, "mode", "")).lower() in ("t2bot", "cloud"):
        return None  # Matrix through t2bot.io, ntfy.sh: the host part is a token or topic
    secure = scheme.endswith("s")
    return str(plugin.host), int(plugin.port or (443 if secure else 80))


def _checked_plugin(url: str, policy: OutboundPolicy) -> apprise.NotifyBase:
    plugin = _plugin(url)
    destination = _destination(plugin, _scheme(url))
    if destination is not None:
        try:
            check_destination(*destination, policy)
        except OutboundRefused as exc:
            raise AppriseRefused(
                N_("this channel's destination is not allowed: {reason}", reason=exc.args[0])
            ) from None
    return plugin


def describe(url: str, policy: OutboundPolicy) -> AppriseTarget:
    """What service an Apprise URL speaks to, checked; AppriseRefused says why not."""
    url = url.strip()
    plugin = _checked_plugin(url, policy)
    return AppriseTarget(service=str(plugin.service_name), scheme=_scheme(url))


def send_apprise(url: str, *, title: str, body: str, policy: OutboundPolicy) -> None:
    """Send one message within SEND_DEADLINE_SECONDS; AppriseRefused when the guard or our
    limits refuse it, AppriseFailed when the service did not take it. The destination is
    checked before the send and every connection again inside it."""
    plugin = _checked_plugin(url.strip(), policy)
    notifier = apprise.Apprise(asset=_ASSET)
    notifier.add(plugin)
    with guarded_sends(policy, seconds=SEND_DEADLINE_SECONDS) as scope:
        # No `timeout`: Apprise would run the send in its pool and stop waiting, not sending.
        ok = notifier.notify(body=body, title=title)
    if scope.refused:
        raise AppriseRefused(
            N_("this channel's destination is not allowed: {reason}", reason=scope.refused[0])
        )
    if not ok:
        raise AppriseFailed(TOO_SLOW if scope.remaining() <= 0 else NOT_DELIVERED)
