"""Child process for test_log_redaction: logging configured as every exstrat process does it
(`configure_logging`, JSON to stderr) at DEBUG, then the traffic whose log lines carry
secrets, each through the real library: a Binance account added and synced with ccxt against
the simulator by a real RQ worker, an Apprise message to a webhook whose path is its token, a
push-style POST whose path is its capability, and our own lines that name them.

    python -m tests.log_probe <user id> <apprise url> <push url>
"""

from __future__ import annotations

import logging
import sys

import structlog


def add_and_sync(user_id: str) -> str:
    """Add the simulator's read-only Binance key to the user and sync it through the worker."""
    from rq import SimpleWorker

    from exstrat_app import bootstrap
    from exstrat_app.infra.queue import get_queue
    from exstrat_app.services.exchanges import accounts, scheduling
    from simexchange import BINANCE_READONLY_KEY, BINANCE_READONLY_SECRET

    with bootstrap.unit_of_work() as session:
        account_id = accounts.add_account(
            session,
            bootstrap.secret_box(),
            user_id=user_id,
            exchange="binance",
            api_key=BINANCE_READONLY_KEY,
            api_secret=BINANCE_READONLY_SECRET,
        ).id
    redis = bootstrap.redis()
    with bootstrap.unit_of_work() as session:
        scheduling.request_sync(session, user_id=user_id, account_id=account_id, redis=redis)
    worker = SimpleWorker([get_queue("ingest", connection=redis)], connection=redis)
    worker.work(burst=True, logging_level="DEBUG")
    return account_id


def send_apprise(url: str) -> None:
    """Apprise itself, its logger propagating (as if someone turned our silencing off)."""
    import apprise

    logging.getLogger("apprise").propagate = True
    notifier = apprise.Apprise()
    assert notifier.add(url), "apprise did not take the URL"
    assert notifier.notify(title="probe", body="probe"), "the webhook did not answer 200"


def send_push(url: str) -> None:
    import requests

    vapid = "vapid t=eyJhbGciOiJFUzI1NiJ9.eyJhdWQiOiJ4In0.c2lnbmF0dXJl, k=BPubKey"
    response = requests.post(url, data=b"\x00", headers={"Authorization": vapid}, timeout=10)
    response.raise_for_status()


def our_own_lines(apprise_url: str, push_url: str) -> None:
    """Ours: a %-formatted stdlib line, a structlog line and a traceback naming the secrets."""
    from simexchange import BINANCE_READONLY_KEY, BINANCE_READONLY_SECRET

    log = logging.getLogger("exstrat_app.probe")
    log.debug("posting to %s with %r", push_url, {"apiKey": BINANCE_READONLY_KEY})
    structlog.get_logger("exstrat_app.probe").info("channel sent", target=apprise_url)
    try:
        raise RuntimeError(f"refused {push_url} X-MBX-APIKEY: {BINANCE_READONLY_KEY}")
    except RuntimeError:
        log.exception("send failed, secret=%s", BINANCE_READONLY_SECRET)


def main(argv: list[str]) -> int:
    from exstrat_app.infra.logging import configure_logging

    user_id, apprise_url, push_url = argv
    configure_logging("DEBUG")
    account_id = add_and_sync(user_id)
    send_apprise(apprise_url)
    send_push(push_url)
    our_own_lines(apprise_url, push_url)
    print(account_id, file=sys.stdout)  # the parent checks the sync's outcome in the database
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
