"""The price provider against a real HTTP server and the real Redis."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from freezegun import freeze_time

from exstrat_app.infra.exchanges import fetch_binance_tickers
from exstrat_app.services.portfolio.prices import PriceProvider, default_provider
from exstrat_app.settings import get_settings
from simexchange import SimExchange

TICKER = "/api/v3/ticker/price"


def quick_provider(redis: Any, binance: SimExchange, *, cache_seconds: int = 30) -> PriceProvider:
    """Like the default one, with no real sleeping between retries."""
    return PriceProvider(
        redis,
        cache_seconds=cache_seconds,
        fetcher=lambda: fetch_binance_tickers(binance.url),
        namespace=f"test:{binance.url}",
        backoff_max=0.01,
    )


def test_one_upstream_request_serves_every_asset_for_a_cache_period(
    redis: Any, binance: SimExchange
) -> None:
    provider = default_provider(redis, get_settings())
    with freeze_time("2026-03-01 12:00:00") as frozen:
        first = provider.last_prices(["ETH", "BTC", "NOPE"], "USDT")
        assert first["ETH"].price == Decimal("2000.00")
        assert first["BTC"].price == Decimal("60000.00")
        assert "NOPE" not in first
        assert first["ETH"].at == datetime(2026, 3, 1, 12, tzinfo=UTC)
        binance.set_price("ETH/USDT", "2100")
        frozen.tick(timedelta(seconds=29))
        assert provider.last_prices(["ETH"])["ETH"].price == Decimal("2000.00")  # cached
        assert binance.request_count(TICKER) == 1
        frozen.tick(timedelta(seconds=2))  # past PRICE_CACHE_SECONDS (30)
        again = provider.last_prices(["ETH", "BTC"])
        assert again["ETH"].price == Decimal("2100")
        assert again["ETH"].at == datetime(2026, 3, 1, 12, 0, 31, tzinfo=UTC)
        assert binance.request_count(TICKER) == 2


def test_concurrent_callers_share_one_fetch(redis: Any, binance: SimExchange) -> None:
    results: list[dict[str, Any]] = []
    barrier = threading.Barrier(8)

    def read() -> None:
        provider = default_provider(redis, get_settings())
        barrier.wait()
        results.append(provider.last_prices(["ETH"]))

    threads = [threading.Thread(target=read) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(results) == 8
    assert all(r["ETH"].price == Decimal("2000.00") for r in results)
    assert binance.request_count(TICKER) == 1


def test_upstream_errors_are_retried_then_cooled_down(redis: Any, binance: SimExchange) -> None:
    provider = quick_provider(redis, binance)
    binance.inject_fault("503", count=None, path_contains=TICKER)  # an outage
    assert provider.last_prices(["ETH"]) == {}
    assert binance.request_count(TICKER) == 3  # tenacity: 3 attempts with jittered backoff
    # Within the cooldown nobody hits the failing upstream again.
    assert provider.last_prices(["ETH"]) == {}
    assert binance.request_count(TICKER) == 3
    binance.clear_faults()
    redis.delete(provider._cooldown_key)
    assert provider.last_prices(["ETH"])["ETH"].price == Decimal("2000.00")
    assert redis.get(provider._failures_key) is None  # a success resets the backoff


def test_a_price_older_than_twice_the_cache_period_is_stale(
    redis: Any, binance: SimExchange
) -> None:
    provider = quick_provider(redis, binance)
    with freeze_time("2026-03-01 12:00:00") as frozen:
        assert provider.last_prices(["ETH"])["ETH"].price == Decimal("2000.00")
        binance.inject_fault("503", count=None, path_contains=TICKER)  # an outage
        frozen.tick(timedelta(seconds=45))  # cache expired, upstream down: last value still ok
        assert provider.last_prices(["ETH"])["ETH"].price == Decimal("2000.00")
        redis.delete(provider._cooldown_key)
        frozen.tick(timedelta(seconds=16))  # 61 s > 2 x 30 s
        assert provider.last_prices(["ETH"]) == {}
        stale = provider.last_prices(["ETH"], include_stale=True)["ETH"]
        assert stale.age_seconds() == 61


def test_a_symbol_dropped_upstream_ages_out(redis: Any, binance: SimExchange) -> None:
    provider = quick_provider(redis, binance)
    with freeze_time("2026-03-01 12:00:00") as frozen:
        assert set(provider.last_prices(["ETH", "BTC"])) == {"ETH", "BTC"}
        binance.delist("BTC/USDT")
        frozen.tick(timedelta(seconds=31))
        assert set(provider.last_prices(["ETH", "BTC"])) == {"ETH", "BTC"}
        frozen.tick(timedelta(seconds=31))
        # ETH was refreshed at +62 s; BTC's price is from 12:00:00: stale now.
        assert set(provider.last_prices(["ETH", "BTC"])) == {"ETH"}


def test_stablecoins_are_one_and_usd_means_usdt(redis: Any, binance: SimExchange) -> None:
    provider = default_provider(redis, get_settings())
    prices = provider.last_prices(["USDC", "ETH"], "USD")
    assert prices["USDC"].price == Decimal(1)
    assert prices["ETH"].price == Decimal("2000.00")
    assert provider.last_prices(["ETH"], "BTC")["ETH"].price == Decimal("0.033")


def test_daily_closes_for_charts_come_from_the_sim_as_decimal_strings(monkeypatch: Any) -> None:
    """The token page's chart: daily closes through the adapter (real ccxt at the wire);
    an unknown market gives no chart rather than an error."""
    from exstrat_app.services.portfolio.prices import daily_closes
    from exstrat_app.settings import get_settings
    from simexchange import SimExchange, small_dataset

    sim = SimExchange(small_dataset())
    url = sim.start()
    try:
        monkeypatch.setattr(get_settings(), "binance_url", url)
        closes = daily_closes("ETH", days=30)
        assert closes, "the sim has ETH/USDT history"
        assert all(isinstance(close, str) and "E" not in close for _day, close in closes)
        assert [day for day, _ in closes] == sorted(day for day, _ in closes)
        assert closes[-1][1] == "3500"  # the small dataset's current ETH/USDT price
        assert daily_closes("NOPE", days=30) == []
    finally:
        sim.stop()
