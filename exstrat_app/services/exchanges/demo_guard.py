"""Demo accounts only ever talk to a simulated exchange on this machine: a demo key can
never reach a real exchange. (A rule of the exchanges context; the demo package uses it.)"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlparse

from exstrat_app.i18n import N_
from exstrat_app.settings import Settings


class DemoOnly(RuntimeError):
    """A demo account asked to talk to something other than the local simulated exchange."""


def assert_demo_target(settings: Settings) -> None:
    """Refuse to run a demo account unless every exchange URL is this machine."""
    for url in (settings.binance_url, settings.coinbase_url):
        if not url or not _is_loopback(url):
            raise DemoOnly(
                N_(
                    "Demo accounts only talk to the simulated exchange on this machine; "
                    "start the app with `make demo` to use them"
                )
            )


def _is_loopback(url: str) -> bool:
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
