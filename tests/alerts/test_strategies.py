"""Strategies: the service (maths inputs, validation, state machine) and the lot size lookup."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import select

from exstrat_app.api.strategy_schemas import draft_json, strategy_json
from exstrat_app.infra.exchanges.markets import lot_step_for
from exstrat_app.models import ExchangeAccount, Strategy, StrategyStep
from exstrat_app.services import strategies as svc
from exstrat_app.services.errors import Conflict, ExchangeUnavailable, InvalidInput, NotFound
from simexchange import SimExchange
from tests.alerts.conftest import SEED_STEPS, add_position, create_seed_strategy, lot_0001


def invalid_fields(call: Any) -> dict[str, str]:
    with pytest.raises(InvalidInput) as info:
        call()
    return info.value.fields


def test_seed_example_is_computed_and_stored(db: Any, alice: Any, seed_position: Any) -> None:
    strategy = create_seed_strategy(db, alice.id)
    data = strategy_json(svc.strategy_detail(db, user_id=alice.id, strategy_id=strategy.id))
    assert data["status"] == "active"
    assert data["reference"] == {"type": "avgPrice", "price": "2000"}
    assert data["baseQty"] == "4"
    assert [(s["targetPrice"], s["qtyToSell"], s["proceeds"]) for s in data["steps"]] == [
        ("2200", "0.8", "1760"),
        ("2800", "2.36", "6608"),
    ]
    assert [s["state"] for s in data["steps"]] == ["pending", "pending"]
    assert data["remainingQty"] == "0.84"
    assert data["projectedProceeds"] == "8368"
    assert data["progress"] == {"triggered": 0, "total": 2}
    assert data["nextStep"]["targetPrice"] == "2200"
    steps = db.exec(select(StrategyStep).where(StrategyStep.strategy_id == strategy.id)).all()
    assert {s.asset for s in steps} == {"ETH"}
    assert sorted(s.qty_to_sell for s in steps) == [Decimal("0.8"), Decimal("2.36")]


def test_preview_matches_create_and_writes_nothing(db: Any, alice: Any, seed_position: Any) -> None:
    preview = draft_json(
        svc.preview_strategy(
            db,
            user_id=alice.id,
            asset="eth",
            reference={"type": "avgPrice"},
            steps=SEED_STEPS,
            lot_step_lookup=lot_0001,
        )
    )
    assert db.exec(select(Strategy)).all() == []
    created = create_seed_strategy(db, alice.id)
    stored = strategy_json(svc.strategy_detail(db, user_id=alice.id, strategy_id=created.id))
    for key in ("asset", "reference", "baseQty", "remainingQty", "projectedProceeds"):
        assert preview[key] == stored[key]
    keys = ("targetPrice", "qtyToSell", "proceeds")
    assert [{k: s[k] for k in keys} for s in preview["steps"]] == [
        {k: s[k] for k in keys} for s in stored["steps"]
    ]
    assert preview["lotStep"] == "0.0001"


def test_custom_reference_explicit_base_qty_and_lot_truncation(db: Any, alice: Any) -> None:
    strategy = svc.create_strategy(
        db,
        user_id=alice.id,
        asset="ETH",
        reference={"type": "custom", "price": "1999.99"},
        base_qty="1.23456789",
        steps=[{"targetPct": 10, "sellPct": Decimal("33.3")}],
        lot_step_lookup=lot_0001,
    )
    data = strategy_json(svc.strategy_detail(db, user_id=alice.id, strategy_id=strategy.id))
    assert data["reference"] == {"type": "custom", "price": "1999.99"}
    assert data["steps"][0]["targetPrice"] == "2199.989"
    # 1.23456789 x 33.3 % = 0.41111110737, truncated (never rounded up) to the 0.0001 lot.
    assert data["steps"][0]["qtyToSell"] == "0.4111"


def test_every_problem_is_reported_at_its_field(db: Any, alice: Any) -> None:
    fields = invalid_fields(
        lambda: svc.create_strategy(
            db,
            user_id=alice.id,
            asset="ETH!",
            reference={"type": "custom", "price": "abc"},
            base_qty=1.5,
            steps=[{"targetPct": "10"}, "x", {"targetPct": "NaN", "sellPct": "10"}],
            notify={"email": "yes"},
            lot_step_lookup=lot_0001,
        )
    )
    assert set(fields) == {
        "asset",
        "reference.price",
        "baseQty",
        "steps.0.sellPct",
        "steps.1",
        "steps.2.targetPct",
        "notify.email",
    }
    assert "decimals as strings" in fields["baseQty"]


def test_ladder_rules_come_back_with_their_paths(db: Any, alice: Any, seed_position: Any) -> None:
    fields = invalid_fields(
        lambda: create_seed_strategy(
            db,
            alice.id,
            steps=[
                {"targetPct": "40", "sellPct": "60"},
                {"targetPct": "10", "sellPct": "50"},
                {"targetPct": "0", "sellPct": "0"},
            ],
        )
    )
    assert set(fields) >= {"steps", "steps.1.targetPct", "steps.2.targetPct", "steps.2.sellPct"}
    fields = invalid_fields(
        lambda: create_seed_strategy(db, alice.id, reference={"type": "custom", "price": "0"})
    )
    assert "reference.price" in fields
    assert db.exec(select(Strategy)).all() == []


def test_avg_price_needs_a_position_and_base_qty_defaults_to_it(db: Any, alice: Any) -> None:
    fields = invalid_fields(lambda: create_seed_strategy(db, alice.id))
    assert set(fields) == {"reference", "baseQty"}
    add_position(db, alice.id, "SOL", "12.5", None)  # held, but no known cost
    fields = invalid_fields(lambda: create_seed_strategy(db, alice.id, asset="SOL"))
    assert set(fields) == {"reference"}
    strategy = create_seed_strategy(
        db, alice.id, asset="SOL", reference={"type": "custom", "price": "100"}
    )
    assert strategy.base_qty == Decimal("12.5")


def test_unknown_market_is_a_field_error(db: Any, alice: Any) -> None:
    fields = invalid_fields(
        lambda: create_seed_strategy(
            db,
            alice.id,
            reference={"type": "custom", "price": "1"},
            base_qty="10",
            lot_step_lookup=lambda _e, _s: None,
        )
    )
    assert fields == {"asset": "Binance lists no ETH/USDT market"}


def test_exchange_account_must_be_the_users(db: Any, alice: Any, bob: Any) -> None:
    account = ExchangeAccount(
        user_id=bob.id, exchange="coinbase", api_key_enc=b"k", api_secret_enc=b"s", key_id="k1"
    )
    db.add(account)
    db.commit()
    custom = {"type": "custom", "price": "2000"}
    with pytest.raises(NotFound):
        create_seed_strategy(
            db, alice.id, reference=custom, base_qty="1", exchange_account_id=account.id
        )
    seen: list[tuple[str, str]] = []

    def lookup(exchange: str, symbol: str) -> Decimal | None:
        seen.append((exchange, symbol))
        return Decimal("0.00000001") if symbol == "ETH/USD" else None

    strategy = create_seed_strategy(
        db,
        bob.id,
        reference=custom,
        base_qty="1",
        exchange_account_id=account.id,
        lot_step_lookup=lookup,
    )
    assert strategy.exchange_account_id == account.id
    # Coinbase has no ETH/USDT: the lot size of the same base asset is taken from ETH/USD.
    assert seen == [("coinbase", "ETH/USDT"), ("coinbase", "ETH/USDC"), ("coinbase", "ETH/USD")]


def test_state_machine(db: Any, alice: Any, bob: Any, seed_position: Any) -> None:
    sid = create_seed_strategy(db, alice.id).id
    assert svc.pause_strategy(db, user_id=alice.id, strategy_id=sid).status == "paused"
    assert svc.pause_strategy(db, user_id=alice.id, strategy_id=sid).status == "paused"
    assert svc.resume_strategy(db, user_id=alice.id, strategy_id=sid).status == "active"
    with pytest.raises(NotFound):
        svc.pause_strategy(db, user_id=bob.id, strategy_id=sid)
    assert svc.complete_strategy(db, user_id=alice.id, strategy_id=sid).status == "completed"
    assert svc.complete_strategy(db, user_id=alice.id, strategy_id=sid).status == "completed"
    with pytest.raises(Conflict):
        svc.resume_strategy(db, user_id=alice.id, strategy_id=sid)
    with pytest.raises(Conflict):
        svc.pause_strategy(db, user_id=alice.id, strategy_id=sid)
    with pytest.raises(InvalidInput):
        svc.change_status(db, user_id=alice.id, strategy_id=sid, action="explode")


def test_mark_step_done_only_after_trigger(
    db: Any, alice: Any, bob: Any, seed_position: Any
) -> None:
    sid = create_seed_strategy(db, alice.id).id
    detail = strategy_json(svc.strategy_detail(db, user_id=alice.id, strategy_id=sid))
    first = detail["steps"][0]["id"]
    with pytest.raises(Conflict):
        svc.mark_step_done(db, user_id=alice.id, step_id=first, strategy_id=sid)
    step = db.get(StrategyStep, first)
    step.state = "triggered"
    db.add(step)
    db.commit()
    with pytest.raises(NotFound):
        svc.mark_step_done(db, user_id=bob.id, step_id=first)
    with pytest.raises(NotFound):
        svc.mark_step_done(db, user_id=alice.id, step_id=first, strategy_id="other")
    done = svc.mark_step_done(db, user_id=alice.id, step_id=first, strategy_id=sid)
    assert done.state == "done" and done.done_at is not None
    assert svc.mark_step_done(db, user_id=alice.id, step_id=first).state == "done"
    data = strategy_json(svc.strategy_detail(db, user_id=alice.id, strategy_id=sid))
    assert data["progress"] == {"triggered": 1, "total": 2}
    assert data["nextStep"]["position"] == 1


def test_list_is_scoped_and_newest_first(db: Any, alice: Any, bob: Any, seed_position: Any) -> None:
    first = create_seed_strategy(db, alice.id)
    second = create_seed_strategy(db, alice.id, name="second")
    assert [s.id for s in svc.list_strategies(db, user_id=alice.id)] == [second.id, first.id]
    assert svc.list_strategies(db, user_id=bob.id) == []
    with pytest.raises(NotFound):
        svc.strategy_detail(db, user_id=bob.id, strategy_id=first.id)


def test_lot_step_from_the_exchange_markets(redis: Any, binance: SimExchange) -> None:
    binance.set_lot_step("ETH/USDT", "0.001")
    assert lot_step_for("binance", "ETH/USDT", redis=redis) == Decimal("0.001")
    assert lot_step_for("binance", "DOGE/USDT", redis=redis) is None
    # Cached per symbol: the markets are not loaded again.
    assert lot_step_for("binance", "ETH/USDT", redis=redis) == Decimal("0.001")
    assert binance.request_count("/api/v3/exchangeInfo") == 1


def test_unreachable_exchange_is_a_503(
    redis: Any, settings_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from exstrat_app.infra.exchanges import retry
    from exstrat_app.services.strategies.lots import exchange_lot_step_lookup

    settings_env(EXSTRAT_BINANCE_URL="http://127.0.0.1:9")  # nothing listens on port 9
    monkeypatch.setattr(retry, "_backoff", lambda _state: 0)  # no real sleeping
    with pytest.raises(ExchangeUnavailable):  # the adapter's error, mapped by the use case
        exchange_lot_step_lookup(redis)("binance", "ETH/USDT")
