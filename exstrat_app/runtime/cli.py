"""Command line: `up` supervises the whole app; the other commands run one piece each."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from exstrat_app.settings import get_settings

log = logging.getLogger("exstrat")


def _add_users_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """The owner's own door (runtime/users_cli.py); no action given lists the accounts."""
    users = sub.add_parser("users", help="the accounts of this instance (list, reset, 2FA off)")
    actions = users.add_subparsers(dest="action")
    actions.add_parser("list", help="every account: email, created, confirmed, two-factor")
    reset = actions.add_parser("reset-password", help="print a password reset link for EMAIL")
    reset.add_argument("email")
    disable = actions.add_parser(
        "disable-totp", help="turn two-factor sign-in off for EMAIL and end its sessions"
    )
    disable.add_argument("email")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m exstrat_app")
    sub = parser.add_subparsers(dest="command", required=True)

    up = sub.add_parser("up", help="run everything: Redis, migrations, worker, scheduler, web")
    up.add_argument("--port", type=int, default=get_settings().port)
    up.add_argument("--backend-only", action="store_true", help="skip the frontend build")
    up.add_argument("--demo", action="store_true", help="also run the simulated exchange")

    demo = sub.add_parser("demo", help="`up --demo`")
    demo.add_argument("--port", type=int, default=get_settings().port)
    demo.add_argument("--backend-only", action="store_true")

    worker = sub.add_parser("worker", help="one RQ worker on the notify, watch, ingest queues")
    worker.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    worker.add_argument("--queues", nargs="*", default=None)

    sub.add_parser("scheduler", help="rq-scheduler with the periodic jobs registered")
    sub.add_parser("prices", help="the price stream: watched assets' prices, evaluated live")
    sub.add_parser("migrate", help="alembic upgrade head")
    sub.add_parser("rotate-keys", help="re-encrypt every stored API key with the current key")
    _add_users_parser(sub)
    sim = sub.add_parser(
        "sim-exchange", help="the simulated Binance/Coinbase server", add_help=False
    )
    sim.add_argument("rest", nargs=argparse.REMAINDER)
    return parser


def main(argv: Sequence[str]) -> int:
    from exstrat_app.infra.logging import configure_logging

    # Every file an exstrat process (and its children: Redis, the web) writes is the owner's
    # only: the database, the outbox, secrets, Reflex's saved states (issue 12).
    os.umask(0o077)
    configure_logging()
    argv = list(argv)
    if argv[:1] == ["sim-exchange"]:
        from simexchange.cli import main as sim_main

        return sim_main(argv[1:]) or 0
    args = _parser().parse_args(argv)
    if args.command in ("up", "demo"):
        from exstrat_app.runtime.supervisor import run_up

        return run_up(
            port=args.port,
            backend_only=args.backend_only,
            demo=args.command == "demo" or args.demo,
        )
    if args.command == "worker":
        from exstrat_app.runtime.workers import run_worker

        return run_worker(queues=args.queues, burst=args.burst)
    if args.command == "scheduler":
        from exstrat_app.runtime.workers import run_scheduler

        return run_scheduler()
    if args.command == "prices":
        from exstrat_app.runtime.price_stream import run_price_stream

        return run_price_stream()
    if args.command == "migrate":
        from exstrat_app.infra.db.migrate import upgrade_to_head

        upgrade_to_head()
        log.info("database is at the latest migration")
        return 0
    if args.command == "users":
        from exstrat_app.runtime.users_cli import run_users

        return run_users(args)
    if args.command == "rotate-keys":
        from exstrat_app import bootstrap
        from exstrat_app.services.auth.totp import reseal_secrets
        from exstrat_app.services.exchanges.key_rotation import rotate_all_keys

        count = rotate_all_keys(bootstrap.session_factory(), bootstrap.secret_box())
        log.info("re-encrypted %d account(s) with the current key", count)
        secrets_count = reseal_secrets(bootstrap.session_factory(), bootstrap.secret_box())
        log.info("re-encrypted %d two-factor secret(s) with the current key", secrets_count)
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
