"""Fuzz every /api operation from its own OpenAPI schema (schemathesis + hypothesis).

Signed in and with a same-site Origin, so the requests reach the handlers rather than
stopping at the auth and CSRF gates. The promise checked: never a 5xx, and every
rejection is a 4xx whose body says what is wrong (`error.message`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from exstrat_app.api import create_api
from exstrat_app.settings import get_settings

os.environ["EXSTRAT_API_RATE_LIMIT"] = "off"  # read by create_api(): the fuzzer is one user
get_settings.cache_clear()
APP = create_api()
os.environ.pop("EXSTRAT_API_RATE_LIMIT")
get_settings.cache_clear()
schema = schemathesis.openapi.from_asgi("/api/openapi.json", APP)
ORIGIN = "http://testserver"
CASES: dict[str, int] = {"run": 0, "server_errors": 0}
FIGURES = Path(__file__).resolve().parents[2] / "artifacts" / "figures"


@pytest.fixture(scope="module")
def signed_in(engine: Any) -> Iterator[dict[str, str]]:
    from sqlmodel import Session

    from exstrat_app.models import User
    from exstrat_app.services.auth import hash_password, issue_session_token

    with Session(engine) as session:
        user = User(email="fuzz@example.com", password_hash=hash_password("fuzz-password-1"))
        session.add(user)
        session.commit()
        token = issue_session_token(get_settings(), user_id=user.id)
    yield {"Cookie": f"exstrat_session={token}", "Origin": ORIGIN}
    FIGURES.mkdir(parents=True, exist_ok=True)
    (FIGURES / "fuzz.json").write_text(json.dumps(CASES))
    from tests.conftest import _truncate_all

    _truncate_all(engine)


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_operation_answers_5xx_and_every_rejection_explains_itself(
    case: Any, signed_in: dict[str, str]
) -> None:
    response = case.call(headers=signed_in)
    CASES["run"] += 1
    if response.status_code >= 500:
        CASES["server_errors"] += 1
    assert response.status_code < 500, (case.method, case.path, response.text[:300])
    if response.status_code >= 400 and response.status_code != 405:
        body = response.json()
        assert isinstance(body["error"]["message"], str) and body["error"]["message"]
