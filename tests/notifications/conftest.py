"""The notifications context's tests share the alerts' fixtures (users, client, Redis, mail):
one definition, re-exported here so pytest finds them beside these tests."""

from tests.alerts.conftest import (  # noqa: F401
    _binance_server,
    alice,
    allow_loopback,
    binance,
    bob,
    client,
    make_user,
    outbox,
    seed_position,
    settings_env,
    smtp,
)
