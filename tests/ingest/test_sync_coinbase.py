"""Coinbase (Advanced Trade) sync of small_dataset through a real RQ worker, real ccxt (ES256
JWTs) and the simulated exchange; expected figures computed by hand below."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlmodel import select

from exstrat_app.infra.db.types import quantize_money
from exstrat_app.models import ExchangeAccount, Position, SyncCursor
from exstrat_app.services.exchanges import runner, scheduling
from simexchange import SMALL_T, SimTrade
from tests.ingest.conftest import sync_env

D = Decimal


def at(key: str) -> datetime:
    return datetime.fromtimestamp(SMALL_T[key] / 1000, tz=UTC)


# Fills: the commission is in USD (the quote), as ccxt assumes for Coinbase.
EXPECTED_TRADES = {
    ("BTC/USD", "buy", D(42000), D("0.02"), D(840), "USD", D("5.04"), at("C1")),
    ("ETH/USD", "buy", D(2900), D("1.5"), D(4350), "USD", D("26.10"), at("C2")),
    ("ETH/USD", "sell", D(3700), D("0.5"), D(1850), "USD", D("11.10"), at("C3")),
    ("BTC/USD", "buy", D(70000), D("0.01"), D(700), "USD", D("4.20"), at("C4")),
}
# The v2 ledger: fiat deposit, receive and send; the send's -0.2005 includes its 0.0005 fee,
# stored as 0.2 moved + 0.0005 fee. The ledger's fill entries are not transfers.
EXPECTED_TRANSFERS = {
    ("deposit", "USD", D(10000), None, "ok", at("C0")),
    ("withdrawal", "ETH", D("0.2"), D("0.0005"), "ok", at("C5")),
    ("deposit", "BTC", D("0.05"), None, "ok", at("C6")),
}
EXPECTED_BALANCES = {
    ("USD", D("5813.56"), D(100)),
    ("BTC", D("0.08"), D(0)),
    ("ETH", D("0.7995"), D(0)),
}


def comparable(rows):  # type: ignore[no-untyped-def]
    """Coinbase ids are uuids: compare on everything else."""
    return {
        "trades": {(t[0], *t[2:]) for t in rows["trades"]},
        "transfers": {(t[0], *t[2:]) for t in rows["transfers"]},
        "balances": rows["balances"],
    }


def test_full_coinbase_sync_through_the_worker(
    db, redis, sim, make_user, add_account, run_worker, rows_of
):
    user = make_user()
    account = add_account(user, "coinbase")

    job_ids = scheduling.request_sync(db, user_id=user.id, account_id=account.id, redis=redis)
    assert job_ids[0] == f"ingest-coinbase-{account.id}-balances-0"
    run_worker()

    db.expire_all()
    row = db.get(ExchangeAccount, account.id)
    assert (row.status, row.last_error) == ("connected", None)
    # Progress units: 5 wallet ledgers (USD, BTC, ETH, SOL, USDC) + the fills.
    assert row.progress_done == row.progress_total == 6
    assert comparable(rows_of(account.id)) == {
        "trades": EXPECTED_TRADES,
        "transfers": EXPECTED_TRANSFERS,
        "balances": EXPECTED_BALANCES,
    }
    positions = {
        p.asset: p for p in db.exec(select(Position).where(Position.user_id == user.id)).all()
    }
    assert set(positions) == {"BTC", "ETH", "USD"}

    # ETH  C2 buy 1.5 @ 2900 = 4350 + 26.10 commission          -> qty 1.5, cost 4376.10
    #      C3 sell 0.5 @ 3700 = 1850 - 11.10: realized 1838.90 - 0.5 * 2917.40 = 380.20
    #         -> qty 1.0, cost 2917.40 (avg 2917.40)
    #      C5 send 0.2 (leaves at the average) + 0.0005 fee (a disposal for nothing):
    #         realized -= 0.0005 * 2917.40 = 1.4587 -> 378.7413; qty 0.7995
    eth = positions["ETH"]
    assert eth.quantity == eth.computed_qty == D("0.7995")
    assert eth.avg_price == D("2917.40")
    assert eth.cost_basis == D("0.7995") * D("2917.40")
    assert eth.realized_pnl == D("378.7413")

    # BTC  C1 buy 0.02 @ 42000 = 840 + 5.04   -> qty 0.02, cost 845.04
    #      C4 buy 0.01 @ 70000 = 700 + 4.20   -> qty 0.03, cost 1549.24, avg 51641.333...
    #      C6 receive 0.05: a deposit enters at the current average (SPEC §4), so the
    #         average is unchanged and nothing is "cost unknown" -> qty 0.08
    btc_avg = D("1549.24") / D("0.03")
    btc = positions["BTC"]
    assert btc.quantity == btc.computed_qty == D("0.08")
    assert btc.avg_price == quantize_money(btc_avg)
    assert btc.unknown_cost_qty == 0
    assert btc.realized_pnl == 0

    # USD is cash: 5813.56 available + 100 on hold.
    assert positions["USD"].quantity == D("5913.56")


def test_second_coinbase_sync_adds_nothing(
    db, redis, sim, make_user, add_account, run_worker, rows_of
):
    user = make_user()
    account = add_account(user, "coinbase")
    scheduling.request_sync(db, user_id=user.id, account_id=account.id, redis=redis)
    run_worker()
    first = rows_of(account.id)

    scheduling.request_sync(db, user_id=user.id, account_id=account.id, redis=redis)
    run_worker()

    assert rows_of(account.id) == first
    # The second fills walk starts a day before the newest fill already stored.
    fills = [r for r in sim.requests_log("/historical/fills")]
    assert "start_sequence_timestamp" not in fills[0]
    assert "start_sequence_timestamp=2024-04-09T16" in fills[-1]


def test_a_fills_walk_killed_mid_way_resumes_and_ends_with_the_same_rows(
    db, redis, sim, make_user, add_account, rows_of, fast_retries
):
    # 600 more fills: three pages of 250, newest first. (ccxt's throttle is off here: it
    # spaces Coinbase v2 ledger calls 360 ms apart, and each fill is two ledger entries.)
    base = SMALL_T["C4"] + 60_000
    for k in range(600):
        sim.add_trade(
            "organizations/sim-org/apiKeys/sim-readonly",
            SimTrade("SOL/USD", "buy", D("0.1"), D(150), D("0.09"), "USD", base + k * 1000,
                     id=200_000 + k, order_id=10_000 + k),
        )  # fmt: skip
    broken = add_account(make_user(), "coinbase")
    clean = add_account(make_user("bob@example.com"), "coinbase")

    # The second page fails for good (the retry budget is spent): the run stops there.
    sim.inject_fault("502", count=6, path_contains="cursor=")
    assert not runner.sync_account(broken.id, env=sync_env(redis, rate_limit=False))
    db.expire_all()
    assert db.get(ExchangeAccount, broken.id).status == "error"
    walk = db.exec(
        select(SyncCursor).where(
            SyncCursor.exchange_account_id == broken.id, SyncCursor.kind == "fills-walk"
        )
    ).one()
    resume_at = walk.last_id  # where the next run resumes
    assert resume_at
    assert len(rows_of(broken.id)["trades"]) == 250

    sim.clear_faults()
    sim.reset_counts()
    assert runner.sync_account(broken.id, env=sync_env(redis, rate_limit=False))
    # It resumed at the saved cursor instead of starting over.
    assert f"cursor={resume_at}" in sim.requests_log("/historical/fills")[0]
    assert runner.sync_account(clean.id, env=sync_env(redis, rate_limit=False))
    assert comparable(rows_of(broken.id)) == comparable(rows_of(clean.id))
    assert len(rows_of(clean.id)["trades"]) == 604


@pytest.mark.parametrize(
    ("which", "message", "box"),
    [
        ("trading", "This key can trade.", "untick 'Trade'"),
        ("transfer", "This key can transfer funds.", "untick 'Transfer'"),
    ],
)
def test_coinbase_keys_that_can_move_money_are_refused(
    db, sim, make_user, add_account, which, message, box
):
    import simexchange as sim_module
    from exstrat_app.services.errors import ExchangeRejected

    key = getattr(sim_module, f"COINBASE_{which.upper()}_KEY")
    secret = getattr(sim_module, f"COINBASE_{which.upper()}_SECRET")
    with pytest.raises(ExchangeRejected) as refused:
        add_account(make_user(), "coinbase", api_key=key, api_secret=secret)
    assert refused.value.message.startswith(message)
    assert box in refused.value.message
    assert db.exec(select(ExchangeAccount)).all() == []


def test_an_ed25519_coinbase_key_is_accepted(db, sim, make_user, add_account):
    from simexchange import COINBASE_ED25519_KEY, COINBASE_ED25519_SECRET

    user = make_user()
    account = add_account(
        user, "coinbase", api_key=COINBASE_ED25519_KEY, api_secret=COINBASE_ED25519_SECRET
    )
    assert account.status == "connected"
    assert account.created_at > datetime.now(UTC) - timedelta(minutes=1)
