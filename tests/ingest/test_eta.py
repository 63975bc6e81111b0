"""The sync's estimated time left (issue 17): from the requests left, Binance's weight budget
and the pace so far; stored with the progress, shown beside it."""

from __future__ import annotations

from typing import Any

from exstrat_app.services.exchanges import runner
from exstrat_app.services.exchanges.context import (
    IP_BUDGET_PER_MINUTE,
    StepContext,
    eta_seconds,
)
from exstrat_app.state.exchanges import eta_text
from simexchange import large_dataset
from tests.ingest.conftest import sync_env


def test_the_eta_is_the_longer_of_the_weight_budget_and_the_pace() -> None:
    # the throttle's minute: 6000 weight less 5 % = 5700
    assert IP_BUDGET_PER_MINUTE == 5700
    # 100 myTrades pages (20 each) = 2000 weight: within one minute's budget, so the pace
    # decides: 100 requests x 0.05 s = 5 s
    assert eta_seconds(2000, 100, 0.05) == 5
    # 570 pages = 11400 weight: 5700 at once, the other 5700 a minute later = 60 s; the
    # pace (570 x 0.05 = 28.5 s) is shorter
    assert eta_seconds(11400, 570, 0.05) == 60
    # nothing left
    assert eta_seconds(0, 0, 0.2) == 0


def test_the_eta_reads_as_seconds_or_minutes() -> None:
    assert eta_text(None) == ""
    assert eta_text(0) == " · about 1 s left"
    assert eta_text(45) == " · about 45 s left"
    assert eta_text(125) == " · about 2 min 05 s left"
    assert eta_text(7200) == " · over an hour left"


def test_a_binance_sync_records_an_eta_while_it_walks_the_trades(
    db: Any, redis: Any, make_sim: Any, make_user: Any, add_account: Any, monkeypatch: Any
) -> None:
    make_sim(large_dataset(n_trades=3000, n_symbols=5, seed=3))
    account = add_account(make_user())
    seen: list[tuple[int, int, int | None]] = []
    record = StepContext.progress

    def spy(self: StepContext, **kw: Any) -> None:
        record(self, **kw)
        a = self.account
        seen.append((a.progress_done, a.progress_total, a.progress_eta_s))

    monkeypatch.setattr(StepContext, "progress", spy)
    assert runner.sync_account(account.id, env=sync_env(redis, rate_limit=False))
    # during the trades step: a figure after every symbol but the last
    during = [eta for done, total, eta in seen if total and 0 < done < total]
    assert during and all(isinstance(eta, int) and eta >= 0 for eta in during)
    # finished: no estimate left on the row
    db.expire_all()
    assert db.get(type(account), account.id).progress_eta_s is None
    assert seen[-1][2] is None
