"""/api/exchanges, /api/portfolio and /api/tokens over HTTP, scoped to the signed-in user."""

from __future__ import annotations

from decimal import Decimal

from simexchange import BINANCE_READONLY_KEY, BINANCE_READONLY_SECRET, BINANCE_TRADING_KEY
from tests.ingest.conftest import sign_in

D = Decimal
BINANCE = {
    "exchange": "binance",
    "apiKey": BINANCE_READONLY_KEY,
    "apiSecret": BINANCE_READONLY_SECRET,
    "nickname": "<b>main</b>",
}


def test_add_sync_read_and_delete_an_account_over_http(client, sim, make_user, run_worker):
    user = make_user()
    sign_in(client, user.id)

    created = client.post("/api/exchanges", json=BINANCE)
    assert created.status_code == 201, created.text
    body = created.json()
    # Stored as given (the UI escapes); the secrets never come back.
    assert body == {"id": body["id"], "exchange": "binance", "nickname": "<b>main</b>",
                    "status": "connected"}  # fmt: skip
    assert BINANCE_READONLY_SECRET not in created.text and BINANCE_READONLY_KEY not in created.text
    account_id = body["id"]

    started = client.post(f"/api/exchanges/{account_id}/sync")
    assert started.status_code == 202
    job_ids = started.json()["jobIds"]
    assert job_ids[0] == f"ingest-binance-{account_id}-balances-0"
    assert client.post(f"/api/exchanges/{account_id}/sync").json() == {"jobIds": job_ids}
    run_worker()

    shown = client.get(f"/api/exchanges/{account_id}").json()
    assert shown["status"] == "connected" and shown["lastError"] is None
    assert shown["lastSyncAt"]
    assert shown["progress"] == {"done": 7, "total": 7, "etaSeconds": None}
    assert [a["id"] for a in client.get("/api/exchanges").json()] == [account_id]

    # Current prices come from the provider (the simulator's ticker): ETH 3500, BTC 67000,
    # BNB 600.
    rows = {r["asset"]: r for r in client.get("/api/portfolio", params={"quote": "USDT"}).json()}
    # By value, largest first: ETH 13996.5, BTC 4019.33, USDT 2094.25, BNB 600.
    assert list(rows) == ["ETH", "BTC", "USDT", "BNB"]
    eth = rows["ETH"]
    eth_avg = D("10182.30") / D("4.5")  # see test_sync_binance for the steps
    assert eth["quantity"] == "3.999" and eth["price"] == "3500"
    assert eth["value"] == "13996.5"  # 3.999 * 3500
    assert D(eth["avgPrice"]) == eth_avg.quantize(D("1e-18"))
    assert D(eth["pnl"]) == ((D(3500) - D(eth["avgPrice"])) * D("3.999")).quantize(D("1e-8"))
    assert eth["unexplained"] == "0"
    assert rows["BNB"]["unexplained"] == "0.0125"
    assert rows["BTC"]["costUnknownQty"] == "0.05"
    assert rows["USDT"]["value"] == "2094.25"
    for row in rows.values():  # decimals are strings, never floats
        assert all(not isinstance(v, float) for v in row.values())

    summary = client.get("/api/portfolio/summary").json()
    # 13996.5 + 4019.33 (0.05999 BTC at 67000) + 2094.25 + 600 (1 BNB)
    assert summary["totals"]["value"] == "20710.08"
    assert summary["rows"] == list(rows.values())

    token = client.get("/api/tokens/eth", params={"pageSize": 2}).json()
    assert token["position"]["asset"] == "ETH"
    assert token["tradesTotal"] == 4 and len(token["trades"]) == 2  # newest first, paged
    assert token["trades"][0]["symbol"] == "ETH/BTC"
    assert [t["type"] for t in token["transfers"]] == ["withdrawal"]
    assert token["pnl"]["realized"] == eth["realizedPnl"]
    assert token["pnl"]["unrealized"] == eth["pnl"]

    assert client.delete(f"/api/exchanges/{account_id}").status_code == 204
    assert client.get(f"/api/exchanges/{account_id}").status_code == 404
    assert client.get("/api/portfolio").json() == []


def test_another_users_account_is_not_found(client, sim, make_user, add_account):
    owner, mallory = make_user(), make_user("mallory@example.com")
    account = add_account(owner)
    sign_in(client, mallory.id)

    for method, path in (
        ("GET", f"/api/exchanges/{account.id}"),
        ("DELETE", f"/api/exchanges/{account.id}"),
        ("POST", f"/api/exchanges/{account.id}/sync"),
    ):
        response = client.request(method, path)
        assert response.status_code == 404, (method, path)
        assert response.json()["error"]["code"] == "not_found"
    assert client.get("/api/exchanges").json() == []
    assert client.get("/api/tokens/ETH").json()["tradesTotal"] == 0


def test_keys_that_can_trade_are_refused_over_http(client, sim, make_user):
    sign_in(client, make_user().id)
    response = client.post(
        "/api/exchanges",
        json={**BINANCE, "apiKey": BINANCE_TRADING_KEY, "apiSecret": "sim-binance-trading-secret"},
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "exchange_rejected"
    assert error["message"].startswith("This key can trade. Edit it on Binance")
    assert "'Enable Spot & Margin Trading'" in error["message"]
    assert client.get("/api/exchanges").json() == []


def test_invalid_input_is_a_422_with_fields(client, make_user):
    sign_in(client, make_user().id)
    response = client.post(
        "/api/exchanges",
        json={"exchange": "kraken", "apiKey": "", "apiSecret": "s", "nickname": "x" * 101},
    )
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"exchange", "apiKey", "nickname"}
    bad_quote = client.get("/api/portfolio", params={"quote": "GBP"})
    assert bad_quote.status_code == 422


def test_signed_out_requests_are_401(client):
    assert client.get("/api/exchanges").status_code == 401
    assert client.get("/api/portfolio").status_code == 401
    assert client.post("/api/exchanges", json=BINANCE).status_code == 401
