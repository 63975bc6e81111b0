"""The notifications context's tests share the alerts' fixtures (users, client, Redis, mail):
one definition, re-exported here so pytest finds them beside these tests."""

from tests.alerts.conftest import (  # noqa: F401
    alice,
    allow_loopback,
    bob,
    client,
    make_user,
    outbox,
    settings_env,
)
