"""Issue 12 points 3 and 7 over HTTP: what one person may create (strategies, accounts),
paged lists, the Host check, the CSP's connect-src, the listen address."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from exstrat_app.api import exchanges as exchanges_api
from exstrat_app.api import strategies as strategies_api
from exstrat_app.infra.db.types import utcnow
from exstrat_app.models import ExchangeAccount, Strategy
from exstrat_app.services.exchanges import accounts as accounts_service
from exstrat_app.settings import Settings, get_settings
from tests.api.conftest import sign_in

BODY = {
    "asset": "ETH",
    "reference": {"type": "avgPrice"},
    "steps": [{"targetPct": "10", "sellPct": "20"}],
}


@pytest.fixture
def alice(client, make_user):
    user = make_user("alice@example.com")
    sign_in(client, user.id)
    return user


def add_strategies(db, user_id, n):
    start = utcnow()
    rows = [
        Strategy(
            user_id=user_id,
            asset="ETH",
            name=f"s{i}",
            ref_type="custom",
            ref_price=Decimal("100"),
            base_qty=Decimal("1"),
            created_at=start + timedelta(seconds=i),
        )
        for i in range(n)
    ]
    db.add_all(rows)
    db.commit()
    return [r.id for r in rows]


def add_accounts(db, user_id, n):
    for i in range(n):
        db.add(
            ExchangeAccount(
                user_id=user_id,
                exchange="binance",
                nickname=f"a{i}",
                api_key_enc=b"x",
                api_secret_enc=b"x",
                key_id="k",
            )
        )
    db.commit()


# ------------------------------------------------------------------ caps


def test_the_strategy_cap_refuses_before_anything_is_computed(client, alice, db, monkeypatch):
    monkeypatch.setattr(get_settings(), "max_strategies_per_user", 3)
    add_strategies(db, alice.id, 3)

    def no_draft(*_a, **_k):
        raise AssertionError("drafted past the cap")

    monkeypatch.setattr("exstrat_app.services.strategies.commands.draft_strategy", no_draft)
    resp = client.post("/api/strategies", json=BODY)
    assert resp.status_code == 409
    assert "limit of 3 strategies" in resp.json()["error"]["message"]
    assert len(client.get("/api/strategies").json()) == 3


def test_the_default_caps():
    settings = Settings()
    assert settings.max_strategies_per_user == 200
    assert settings.max_accounts_per_user == 20


def test_the_account_cap_refuses_before_the_exchange_is_asked(client, alice, db, monkeypatch):
    monkeypatch.setattr(get_settings(), "max_accounts_per_user", 2)
    add_accounts(db, alice.id, 2)

    def no_call(*_a, **_k):
        raise AssertionError("the exchange was asked")

    monkeypatch.setattr(accounts_service, "check_key", no_call)
    resp = client.post(
        "/api/exchanges", json={"exchange": "binance", "apiKey": "k" * 20, "apiSecret": "s" * 20}
    )
    assert resp.status_code == 409
    assert "limit of 2 exchange accounts" in resp.json()["error"]["message"]


# ------------------------------------------------------------------ pages


def test_strategies_are_paged_newest_first(client, alice, db, make_user):
    ids = add_strategies(db, alice.id, 5)[::-1]  # newest first
    add_strategies(db, make_user("bob@example.com").id, 2)  # never in alice's pages

    everything = client.get("/api/strategies")
    assert [s["id"] for s in everything.json()] == ids  # the default page holds them all
    assert "x-next-offset" not in everything.headers

    first = client.get("/api/strategies", params={"limit": 2})
    assert [s["id"] for s in first.json()] == ids[:2]
    assert first.headers["x-next-offset"] == "2"
    second = client.get("/api/strategies", params={"limit": 2, "offset": 2})
    assert [s["id"] for s in second.json()] == ids[2:4]
    last = client.get("/api/strategies", params={"limit": 2, "offset": 4})
    assert [s["id"] for s in last.json()] == ids[4:]
    assert "x-next-offset" not in last.headers

    assert client.get("/api/strategies", params={"limit": 201}).status_code == 422
    assert client.get("/api/strategies", params={"limit": 0}).status_code == 422
    assert client.get("/api/strategies", params={"offset": -1}).status_code == 422


def test_exchanges_are_paged(client, alice, db):
    add_accounts(db, alice.id, 3)
    first = client.get("/api/exchanges", params={"limit": 2})
    assert [a["nickname"] for a in first.json()] == ["a0", "a1"]
    assert first.headers["x-next-offset"] == "2"
    rest = client.get("/api/exchanges", params={"offset": 2})
    assert [a["nickname"] for a in rest.json()] == ["a2"]
    assert "x-next-offset" not in rest.headers
    assert client.get("/api/exchanges", params={"limit": 101}).status_code == 422


def test_the_pages_describe_themselves_in_openapi(client):
    spec = client.get("/api/openapi.json").json()
    for path, max_page in (
        ("/api/strategies", strategies_api.MAX_PAGE),
        ("/api/exchanges", exchanges_api.MAX_PAGE),
    ):
        op = spec["paths"][path]["get"]
        params = {p["name"]: p["schema"] for p in op["parameters"]}
        assert params["limit"]["maximum"] == max_page and params["offset"]["minimum"] == 0
        ok = op["responses"]["200"]
        assert "X-Next-Offset" in ok["headers"]
        assert ok["content"]["application/json"]["schema"]["type"] == "array"
        assert "$ref" in ok["content"]["application/json"]["schema"]["items"]


# ------------------------------------------------------------------ Host, redirects, CSP


def test_a_foreign_host_is_refused(client, alice):
    resp = client.get("/api/me", headers={"Host": "evil.example"})
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "bad_host"
    assert client.get("/some/page", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/api/me", headers={"Host": "testserver"}).status_code == 200
    # The public URL's host (and, for a loopback public URL, its aliases) is this site.
    for host in ("localhost:3000", "127.0.0.1:3000", "LOCALHOST"):
        assert client.get("/api/me", headers={"Host": host}).status_code == 200


def test_the_public_host_counts_and_loopback_aliases_only_for_a_loopback_url(
    client, alice, monkeypatch
):
    monkeypatch.setattr(get_settings(), "public_url", "https://exstrat.example")
    monkeypatch.setattr(get_settings(), "allowed_hosts", "")
    assert client.get("/api/me", headers={"Host": "exstrat.example"}).status_code == 200
    assert client.get("/api/me", headers={"Host": "localhost"}).status_code == 400
    assert client.get("/api/me", headers={"Host": "testserver"}).status_code == 400
    assert client.get("/api/me", headers={"Host": "exstrat.example.evil"}).status_code == 400


def test_the_trailing_slash_redirect_does_not_reflect_the_host(client, alice):
    resp = client.get("/api/me/", follow_redirects=False)
    assert resp.status_code in (307, 308)
    assert resp.headers["location"] == "/api/me"
    resp = client.get("/api/me/", headers={"Host": "evil.example"}, follow_redirects=False)
    assert resp.status_code == 400 and "location" not in resp.headers


def test_csp_connects_only_to_our_own_origin(client, monkeypatch):
    csp = client.get("/some/page").headers["content-security-policy"]
    assert "connect-src 'self' ws://localhost:3000;" in csp
    assert " ws: " not in csp and " wss:" not in csp
    monkeypatch.setattr(get_settings(), "public_url", "https://exstrat.example")
    monkeypatch.setattr(get_settings(), "allowed_hosts", "testserver")
    csp = client.get("/some/page").headers["content-security-policy"]
    assert "connect-src 'self' wss://exstrat.example;" in csp


# ------------------------------------------------------------------ listen address


def test_up_listens_on_loopback_unless_told(set_env):
    from exstrat_app.runtime.supervisor import plan_children

    set_env("EXSTRAT_HOST", None)
    assert get_settings().host == "127.0.0.1"
    set_env("EXSTRAT_HOST", "0.0.0.0")  # a container behind its proxy
    assert get_settings().host == "0.0.0.0"

    web = plan_children(port=3000, backend_only=False, env={})[-1]
    assert web.argv[web.argv.index("--backend-host") + 1] == "127.0.0.1"
    web = plan_children(port=3000, backend_only=True, env={}, host="0.0.0.0")[-1]
    assert web.argv[web.argv.index("--backend-host") + 1] == "0.0.0.0"
