"""Demo mode: the app plus the simulated exchange on the demo dataset, a signed-in-in-one-click
demo user with a synced account and two example strategies, prices on a seeded random walk.

Demo accounts are marked `is_demo` and only ever talk to a simulated exchange on this
machine (`assert_demo_target`): a demo key can never reach a real exchange.
"""

from __future__ import annotations

import socket

from exstrat_app.i18n import N_
from exstrat_app.settings import get_settings

DEMO_EMAIL = "demo@exstrat.local"
DEMO_NICKNAME = "Demo Binance (simulated)"


def demo_enabled() -> bool:
    return get_settings().demo_enabled


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare_demo() -> dict[str, str]:
    """Environment for every child of `up --demo` (the sim's URL, fast price polling)."""
    settings = get_settings()
    port = settings.demo_sim_port or _free_port()
    url = f"http://127.0.0.1:{port}"
    # The demo polls prices every 3 s unless the environment asked for another period.
    poll = settings.price_poll_seconds if settings.is_set("price_poll_seconds") else 3
    cache = settings.price_cache_seconds if settings.is_set("price_cache_seconds") else 3
    ws_port = _free_port()  # the sim's Binance websocket streams, for the price stream
    return {
        "EXSTRAT_DEMO": "1",
        "EXSTRAT_DEMO_SIM_PORT": str(port),
        "EXSTRAT_BINANCE_URL": url,
        "EXSTRAT_BINANCE_WS_URL": f"ws://127.0.0.1:{ws_port}",
        "EXSTRAT_COINBASE_URL": url,
        "PRICE_POLL_SECONDS": str(poll),
        "PRICE_CACHE_SECONDS": str(cache),
    }


def demo_user_id() -> str:
    """The demo user's id (only in demo mode), for the "Try the demo" sign-in ticket."""
    from sqlmodel import select

    from exstrat_app.infra.db.engine import session_scope
    from exstrat_app.models import User
    from exstrat_app.services.errors import NotFound

    if not demo_enabled():
        raise NotFound(N_("The demo is not running on this server."))
    with session_scope() as session:
        user = session.exec(select(User).where(User.email == DEMO_EMAIL)).first()
        if user is None:
            raise NotFound(N_("The demo is still being prepared: try again in a few seconds."))
        return user.id
