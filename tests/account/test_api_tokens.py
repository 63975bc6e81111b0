"""Personal API tokens: made once and shown once, stored as a hash, accepted as `Authorization:
Bearer` only where their scope allows; every route of the OpenAPI document is walked, so a
new route is held to the rules without anyone remembering this file
(docs/api-tokens-and-sessions.md)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from freezegun import freeze_time
from sqlmodel import select

from tests.alerts.conftest import BASE_URL
from tests.api.conftest import sign_in

# ---------------------------------------------------------------- the intent, stated apart
#
# Written from the rules as people read them (the docs), not from the app's table: which
# routes a token may never touch, and where a write token may change things. A GET is fine
# for any token anywhere else; nothing else is.

NEVER_EXACT = {"/api/tokens"}  # personal tokens themselves (but /api/tokens/{asset} is a coin)
NEVER_PREFIXES = (
    "/api/auth/",  # sign-in, sessions, password, email, two-factor
    "/api/account",
    "/api/me/export",
    "/api/channels",
    "/api/push/",
)
NEVER_PATTERNS = (
    re.compile(r"^/api/exchanges/[^/]+/trading-key$"),
    re.compile(r"^/api/strategies/[^/]+/execution$"),
    re.compile(r"^/api/strategies/[^/]+/steps/[^/]+/confirm$"),
)
NEVER_WRITES = ("/api/me", "/api/exchanges", "/api/orders", "/api/execution")
WRITE_PREFIXES = (
    "/api/portfolio",
    "/api/openings",
    "/api/strategies",
    "/api/notifications",
    "/api/export",
    "/api/prices",
)
READS = {"get", "head"}


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix.rstrip("/") + "/")


def never(method: str, path: str) -> bool:
    if path in NEVER_EXACT or any(p.match(path) for p in NEVER_PATTERNS):
        return True
    if any(_under(path, prefix) for prefix in NEVER_PREFIXES):
        return True
    return method not in READS and any(_under(path, prefix) for prefix in NEVER_WRITES)


def allowed(method: str, path: str, scope: str) -> bool:
    if never(method, path):
        return False
    if method in READS:
        return True
    return scope == "write" and any(_under(path, prefix) for prefix in WRITE_PREFIXES)


# ---------------------------------------------------------------- helpers


def make_token(client: Any, *, scope: str = "read", days: int | None = 30, name: str = "t") -> Any:
    answer = client.post("/api/tokens", json={"name": name, "scope": scope, "expiresInDays": days})
    assert answer.status_code == 201, answer.text
    return answer.json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def owner(client: Any, person: Callable[[str], Any]) -> Any:
    """A person signed in on `client` (the cookie makes tokens; calls with a token drop it)."""
    user = person("tok")
    sign_in(client, user.id)
    return user


@pytest.fixture
def cookieless(db: Any, redis: Any, client: Any) -> Iterator[Any]:
    """A second client with no cookie and no Origin: a script (rate limit off, as `client`)."""
    from fastapi.testclient import TestClient

    from exstrat_app.api import create_api

    with TestClient(create_api(), base_url=BASE_URL) as c:
        yield c


# ---------------------------------------------------------------- making and listing


def test_a_token_is_shown_once_and_stored_as_its_hash_only(
    client: Any, db: Any, owner: Any
) -> None:
    from exstrat_app.models import ApiToken

    made = make_token(client, scope="write", days=30, name="  my   script ")
    token = made["token"]
    assert re.fullmatch(r"exs_[A-Za-z0-9_-]{43}", token)
    assert made["name"] == "my script" and made["scope"] == "write"
    assert made["hint"] == token[:8] + "…"
    assert made["expiresAt"] is not None

    listing = client.get("/api/tokens")
    assert listing.status_code == 200
    assert token not in listing.text and token[8:] not in listing.text
    [item] = listing.json()
    assert item == {
        "id": made["id"],
        "name": "my script",
        "scope": "write",
        "hint": made["hint"],
        "createdAt": made["createdAt"],
        "expiresAt": made["expiresAt"],
        "lastUsedAt": None,
    }
    [row] = db.exec(select(ApiToken).where(ApiToken.user_id == owner.id)).all()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr(row.model_dump())


def test_a_token_that_never_expires_is_said_with_null(client: Any, owner: Any) -> None:
    assert make_token(client, days=None)["expiresAt"] is None
    missing = client.post("/api/tokens", json={"name": "n", "scope": "read"})
    assert missing.status_code == 422
    assert "expiresInDays" in missing.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "", "scope": "read", "expiresInDays": 1}, "name"),
        ({"name": "n" * 101, "scope": "read", "expiresInDays": 1}, "name"),
        ({"name": "n", "scope": "admin", "expiresInDays": 1}, "scope"),
        ({"name": "n", "scope": "read", "expiresInDays": 0}, "expiresInDays"),
        ({"name": "n", "scope": "read", "expiresInDays": 366}, "expiresInDays"),
        ({"name": "n", "scope": "read", "expiresInDays": "soon"}, "expiresInDays"),
    ],
)
def test_bad_input_is_a_worded_422(
    client: Any, owner: Any, body: dict[str, Any], field: str
) -> None:
    answer = client.post("/api/tokens", json=body)
    assert answer.status_code == 422, answer.text
    assert field in answer.json()["error"]["fields"]


def test_at_most_twenty_tokens(client: Any, owner: Any) -> None:
    for n in range(20):
        make_token(client, name=f"t{n}")
    answer = client.post("/api/tokens", json={"name": "one more", "scope": "read",
                                               "expiresInDays": 1})  # fmt: skip
    assert answer.status_code == 409
    assert "revoke one" in answer.json()["error"]["message"]


def test_another_users_token_cannot_be_revoked(
    client: Any, cookieless: Any, owner: Any, person: Callable[[str], Any]
) -> None:
    token = make_token(client)
    sign_in(client, person("eve").id)
    assert client.delete(f"/api/tokens/{token['id']}").status_code == 404
    assert client.get("/api/tokens").json() == []
    assert cookieless.get("/api/portfolio", headers=bearer(token["token"])).status_code == 200


# ---------------------------------------------------------------- using a token


def test_a_read_token_reads_the_portfolio_and_notes_its_use(
    client: Any, cookieless: Any, owner: Any
) -> None:
    with freeze_time("2030-01-01 10:00:00") as clock:
        sign_in(client, owner.id)  # a session valid at the frozen time
        token = make_token(client)
        answer = cookieless.get("/api/portfolio", headers=bearer(token["token"]))
        assert answer.status_code == 200, answer.text
        assert answer.json() == []
        me = cookieless.get("/api/me", headers=bearer(token["token"]))
        assert me.json()["id"] == owner.id
        assert client.get("/api/tokens").json()[0]["lastUsedAt"].startswith("2030-01-01T10:00:00")
        clock.move_to("2030-01-01 10:00:50")  # within the minute: not written again
        cookieless.get("/api/portfolio", headers=bearer(token["token"]))
        assert client.get("/api/tokens").json()[0]["lastUsedAt"].startswith("2030-01-01T10:00:00")
        clock.move_to("2030-01-01 10:01:30")
        cookieless.get("/api/portfolio", headers=bearer(token["token"]))
        assert client.get("/api/tokens").json()[0]["lastUsedAt"].startswith("2030-01-01T10:01:30")


def _dummy_url(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x1", path)


def _operations() -> list[tuple[str, str]]:
    from exstrat_app.api import create_api

    document = create_api().openapi()
    return [
        (method, path)
        for path, operations in document["paths"].items()
        for method in operations
        if method in {"get", "head", "post", "put", "patch", "delete"}
    ]


@pytest.mark.parametrize("scope", ["read", "write"])
def test_every_route_of_the_openapi_document_follows_the_rules(
    client: Any, cookieless: Any, owner: Any, scope: str
) -> None:
    token = make_token(client, scope=scope)["token"]
    operations = _operations()
    assert len(operations) > 40  # the walk really walks
    refused, let_through = [], []
    for method, path in operations:
        body = {"json": {}} if method in {"post", "put", "patch"} else {}
        answer = cookieless.request(
            method.upper(), _dummy_url(path), headers=bearer(token), follow_redirects=False,
            **body,
        )  # fmt: skip
        if allowed(method, path, scope):
            assert answer.status_code not in (401, 403), (method, path, answer.text)
            assert answer.status_code < 500, (method, path, answer.text)
            let_through.append((method, path))
        else:
            assert answer.status_code == 403, (method, path, answer.status_code, answer.text)
            words = answer.json()["error"]["message"]
            if never(method, path):
                assert "sign in with your password" in words, (method, path, words)
            refused.append((method, path))
    assert ("get", "/api/portfolio") in let_through
    assert ("post", "/api/tokens") in refused and ("delete", "/api/me") in refused
    assert ("post", "/api/auth/sessions/end-others") in refused
    if scope == "write":
        assert ("post", "/api/openings") in let_through
        assert ("delete", "/api/exchanges/{account_id}") in refused
    else:
        assert ("post", "/api/openings") in refused


def test_a_token_cannot_make_or_see_tokens(client: Any, cookieless: Any, owner: Any) -> None:
    token = make_token(client, scope="write")["token"]
    made = cookieless.post(
        "/api/tokens",
        json={"name": "child", "scope": "write", "expiresInDays": None},
        headers=bearer(token),
    )
    assert made.status_code == 403
    assert made.json()["error"]["message"].startswith("Personal tokens cannot")
    assert cookieless.get("/api/tokens", headers=bearer(token)).status_code == 403
    assert len(client.get("/api/tokens").json()) == 1


def test_a_cookie_and_a_token_together_follow_the_tokens_rules(
    client: Any, owner: Any, person: Callable[[str], Any]
) -> None:
    read = make_token(client, scope="read")["token"]
    # The cookie alone may list tokens and write; with the read token along, neither.
    assert client.get("/api/tokens").status_code == 200
    assert client.get("/api/tokens", headers=bearer(read)).status_code == 403
    refused = client.post("/api/openings", json={}, headers=bearer(read))
    assert refused.status_code == 403
    assert "only read" in refused.json()["error"]["message"]
    # And the token speaks for its own user, whoever's cookie rides along.
    eve = person("eve")
    sign_in(client, eve.id)
    me = client.get("/api/me", headers=bearer(read))
    assert me.json()["id"] == owner.id
    # A token that does not verify never falls back to the cookie.
    assert client.get("/api/me", headers=bearer("exs_" + "A" * 43)).status_code == 401


def test_a_revoked_token_is_refused(client: Any, cookieless: Any, owner: Any) -> None:
    token = make_token(client)
    assert cookieless.get("/api/portfolio", headers=bearer(token["token"])).status_code == 200
    assert client.delete(f"/api/tokens/{token['id']}").status_code == 204
    answer = cookieless.get("/api/portfolio", headers=bearer(token["token"]))
    assert answer.status_code == 401
    assert token["token"] not in answer.text
    assert client.get("/api/tokens").json() == []


def test_an_expired_token_is_refused(client: Any, cookieless: Any, owner: Any) -> None:
    with freeze_time("2030-01-01 10:00:00") as clock:
        sign_in(client, owner.id)  # a session valid at the frozen time
        token = make_token(client, days=1)["token"]
        clock.move_to("2030-01-02 09:59:00")
        assert cookieless.get("/api/portfolio", headers=bearer(token)).status_code == 200
        clock.move_to("2030-01-02 10:00:01")
        assert cookieless.get("/api/portfolio", headers=bearer(token)).status_code == 401


@pytest.mark.parametrize("value", ["", "exs_short", "not-a-token-" + "a" * 40, "exs_" + "a" * 43])
def test_unknown_or_malformed_tokens_are_401(cookieless: Any, value: str) -> None:
    answer = cookieless.get("/api/portfolio", headers={"Authorization": f"Bearer {value}"})
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "unauthorized"


def test_a_token_passes_the_browser_origin_check(client: Any, cookieless: Any, owner: Any) -> None:
    token = make_token(client, scope="write")["token"]
    answer = cookieless.post(
        "/api/notifications/read-all",
        headers={**bearer(token), "Origin": "https://elsewhere.example"},
    )
    assert answer.status_code == 200, answer.text


def test_each_token_has_its_own_rate_limit(
    client: Any, db: Any, redis: Any, owner: Any, settings_env: Callable[..., None]
) -> None:
    from fastapi.testclient import TestClient

    from exstrat_app.api import create_api
    from exstrat_app.services.auth import api_tokens

    first = api_tokens.create_token(db, owner.id, name="a", scope="read", expires_in_days=1)
    second = api_tokens.create_token(db, owner.id, name="b", scope="read", expires_in_days=1)
    db.commit()
    settings_env(EXSTRAT_API_RATE_LIMIT="3/minute")
    with TestClient(create_api(), base_url=BASE_URL) as limited:
        for _ in range(3):
            assert limited.get("/api/portfolio", headers=bearer(first.token)).status_code == 200
        answer = limited.get("/api/portfolio", headers=bearer(first.token))
        assert answer.status_code == 429
        assert int(answer.headers["Retry-After"]) > 0
        assert limited.get("/api/portfolio", headers=bearer(second.token)).status_code == 200


def test_the_socket_door_takes_no_token(client: Any, owner: Any) -> None:
    """The websocket only reads the session cookie: a personal token is no session there."""
    from exstrat_app.settings import get_settings
    from exstrat_app.state import door_registry, guard

    token = make_token(client, scope="write")["token"]
    assert door_registry.identity_of(get_settings(), token) is None
    assert b"authorization" in guard._PRIVATE_HEADERS  # dropped from the handshake
