"""Demo mode: the app plus the simulated exchange on the demo dataset, a signed-in-in-one-click
demo user with a synced account and two example strategies, prices on a seeded random walk.

Demo accounts are marked `is_demo` and only ever talk to a simulated exchange on this
machine (`assert_demo_target`): a demo key can never reach a real exchange.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import socket
import sys
from decimal import Decimal
from urllib.parse import urlparse

from exstrat_app.settings import get_settings

DEMO_EMAIL = "demo@exstrat.local"
DEMO_NICKNAME = "Demo Binance (simulated)"


class DemoOnly(RuntimeError):
    """A demo account asked to talk to something other than the local simulated exchange."""


def demo_enabled() -> bool:
    return os.environ.get("EXSTRAT_DEMO") == "1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare_demo(children_env: dict[str, str]) -> dict[str, str]:
    """Environment for every child of `up --demo` (the sim's URL, fast price polling)."""
    del children_env
    port = int(os.environ.get("EXSTRAT_DEMO_SIM_PORT") or _free_port())
    url = f"http://127.0.0.1:{port}"
    return {
        "EXSTRAT_DEMO": "1",
        "EXSTRAT_DEMO_SIM_PORT": str(port),
        "EXSTRAT_BINANCE_URL": url,
        "EXSTRAT_COINBASE_URL": url,
        "PRICE_POLL_SECONDS": os.environ.get("PRICE_POLL_SECONDS", "3"),
        "PRICE_CACHE_SECONDS": os.environ.get("PRICE_CACHE_SECONDS", "3"),
    }


def demo_children(env: dict[str, str]) -> list:  # list[Child]; typed loosely to avoid a cycle
    from exstrat_app.supervisor import Child

    walk = os.environ.get("EXSTRAT_DEMO_WALK_SECONDS", "2")
    argv = [sys.executable, "-m", "exstrat_app", "sim-exchange", "--dataset", "demo"]
    drift = os.environ.get("EXSTRAT_DEMO_DRIFT", "0.0003")  # +0.9 %/min on average
    argv += ["--port", env["EXSTRAT_DEMO_SIM_PORT"], "--walk-seconds", walk, "--seed", "7"]
    argv += ["--drift", drift]
    return [Child("sim-exchange", argv, env)]


def assert_demo_target() -> None:
    """Refuse to run a demo account unless every exchange URL is this machine."""
    settings = get_settings()
    for url in (settings.binance_url, settings.coinbase_url):
        if not url or not _is_loopback(url):
            raise DemoOnly(
                "Demo accounts only talk to the simulated exchange on this machine; "
                "start the app with `make demo` to use them"
            )


def _is_loopback(url: str) -> bool:
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def seed_demo() -> str:
    """Create (once) the demo user, its synced demo account and two strategies; returns the
    user id. Safe to run again: an existing demo user is only re-synced."""
    from sqlmodel import select

    from exstrat_app.models import ExchangeAccount, User
    from exstrat_app.services import accounts, strategies
    from exstrat_app.services.auth import signup
    from exstrat_app.services.db import session_scope
    from exstrat_app.services.sync import sync_account
    from exstrat_app.sim import datasets

    assert_demo_target()
    with session_scope() as session:
        user = session.exec(select(User).where(User.email == DEMO_EMAIL)).first()
        if user is None:
            # Nobody signs in with this password: the "Try the demo" button uses a ticket.
            user = signup(session, email=DEMO_EMAIL, password=secrets.token_urlsafe(24))
            user.is_demo = True
            session.add(user)
        account = session.exec(
            select(ExchangeAccount).where(ExchangeAccount.user_id == user.id)
        ).first()
        if account is None:
            account = accounts.add_account(
                session,
                user_id=user.id,
                exchange="binance",
                api_key=datasets.BINANCE_READONLY_KEY,
                api_secret=datasets.BINANCE_READONLY_SECRET,
                nickname=DEMO_NICKNAME,
            )
            account.is_demo = True
            session.add(account)
        user_id, account_id = user.id, account.id
    sync_account(account_id)
    with session_scope() as session:
        if not strategies.list_strategies(session, user_id=user_id):
            _example_strategies(session, user_id=user_id)
    return user_id


def _example_strategies(session: object, *, user_id: str) -> None:
    """The seed's ladder on ETH, and a BTC ladder whose first step is a whisker away."""
    from exstrat_app.services import strategies
    from exstrat_app.services.prices import last_prices

    strategies.create_strategy(
        session,  # type: ignore[arg-type]
        user_id=user_id,
        asset="ETH",
        reference={"type": "avgPrice"},
        steps=[{"targetPct": "10", "sellPct": "20"}, {"targetPct": "40", "sellPct": "59"}],
        notify={"email": True, "inApp": True},
    )
    btc = last_prices(["BTC"], "USDT")["BTC"].price
    # Reference chosen so that +2 % sits 0.2 % above today's price: the random walk
    # crosses it within minutes, so the demo shows a live alert.
    reference = (btc * Decimal("1.002") / Decimal("1.02")).quantize(Decimal("0.01"))
    strategies.create_strategy(
        session,  # type: ignore[arg-type]
        user_id=user_id,
        asset="BTC",
        reference={"type": "custom", "price": str(reference)},
        steps=[{"targetPct": "2", "sellPct": "25"}, {"targetPct": "8", "sellPct": "25"}],
        notify={"email": True, "inApp": True},
    )


def demo_user_id() -> str:
    """The demo user's id (only in demo mode), for the "Try the demo" sign-in ticket."""
    from sqlmodel import select

    from exstrat_app.models import User
    from exstrat_app.services.db import session_scope
    from exstrat_app.services.errors import NotFound

    if not demo_enabled():
        raise NotFound("The demo is not running on this server.")
    with session_scope() as session:
        user = session.exec(select(User).where(User.email == DEMO_EMAIL)).first()
        if user is None:
            raise NotFound("The demo is still being prepared: try again in a few seconds.")
        return user.id
