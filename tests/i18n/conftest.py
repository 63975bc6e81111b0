"""The language tests use the API's fixtures (client, users): one definition, re-exported."""

from __future__ import annotations

from tests.api.conftest import client, make_user  # noqa: F401
