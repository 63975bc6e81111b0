"""``retail_dataset()``: a Binance account that mostly never touched the order book, every figure
documented so the ingestion and the portfolio can be checked by hand.

Binance (key BINANCE_READONLY_KEY), times UTC, 2024:

  D1  01-15 09:00  deposit 2000 USDT (capital deposit, id dep-r-usdt)
  D2  01-16 09:00  deposit 10 XYZ (a coin with no market anywhere, id dep-r-xyz)
  D3  01-17 09:00  deposit 0.004 SOL (a leftover, id dep-r-sol)
  F1  02-01 09:00  fiat deposit 1000 EUR by bank, Successful (fiat order fo-eur-1)
  F2  02-02 09:00  fiat deposit 500 EUR, Failed                      -> ignored
  C1  02-03 10:00  card buy 0.2 ETH for 500 EUR (fee 10 EUR included), Completed (cp-1)
                   -> Trade card ETH/EUR buy 0.2, cost 500 EUR (EUR/USDT 1.10: 550 USDT)
  C2  02-04 10:00  card buy 0.1 ETH for 300 EUR, Failed                -> ignored
  V1  02-10 12:00  Convert 1000 USDT -> 0.4 ETH, SUCCESS (order 9001)
                   -> Trade convert ETH/USDT buy 0.4 @ 2500, cost 1000
  V2  03-05 12:00  Convert 0.1 ETH -> 300 USDT, SUCCESS (9002) -> ETH/USDT sell 0.1 @ 3000
  V3  03-06 12:00  Convert 500 USDT -> 0.15 ETH, FAIL (9003)           -> ignored
  V4  03-07 12:00  Convert 200 USDT -> 0.06 ETH, PROCESS (9004)        -> ignored
  V5  03-20 12:00  Convert 600 EUR -> 0.01 BTC, SUCCESS (9005) -> BTC/EUR buy 0.01, cost 600
  T1  03-25 12:00  spot fill BTC/USDT buy 0.005 @ 60000 = 300 USDT, fee 0.5 XYZ (no market)
  DV  04-01 00:00  distribution 0.01 BNB (assetDividend id 7001)  -> income, source dividend
  E1  04-10 00:00  500 USDT subscribed to Simple Earn flexible (not in any history)
  E2  04-12 00:00  0.3 ETH subscribed to Simple Earn locked (30 days, position 5501)
  R1  05-01 00:00  flexible reward 0.5 USDT (REALTIME) -> income, source earn_flexible
  R2  06-01 00:00  flexible reward 0.6 USDT (BONUS)    -> income, source earn_flexible
  R3  05-12 00:00  locked reward 0.001 ETH (credited to spot) -> income, source earn_locked
  DU  08-01 00:00  dust: 0.004 SOL -> 0.0009 BNB, service charge 0.000018 BNB (trans 66001)
                   -> Trade dust SOL/BNB sell 0.004, cost 0.000918, fee 0.000018 BNB
  FU  08-02 00:00  100 USDT and 0.05 ETH moved spot -> Funding (not in any history)

Wallets at the end (what the balance endpoints answer):
  spot     USDT 2000 - 1000 + 300 - 300 - 500 - 100 = 400     EUR 1000 - 600 = 400
           ETH 0.2 + 0.4 - 0.1 - 0.3 + 0.001 - 0.05 = 0.151   BTC 0.01 + 0.005 = 0.015
           BNB 0.01 + 0.0009 = 0.0109                           XYZ 10 - 0.5 = 9.5
  funding  USDT 100, ETH 0.05
  earn_flexible  USDT 500 + 0.5 + 0.6 = 501.1
  earn_locked    ETH 0.3
Every asset's total across wallets equals what the rows imply (no unexplained amount).
Prices: ETH/USDT 2500 until 03-01, then 3000, then 3200 from 09-01 (now); BTC/USDT 60000;
BNB/USDT 500; SOL/USDT 150; EUR/USDT 1.10.
"""

from __future__ import annotations

from decimal import Decimal

from .accounts import add_binance_aliases
from .keys import BINANCE_READONLY_KEY, BINANCE_READONLY_PERMISSIONS, BINANCE_READONLY_SECRET
from .markets import binance_markets
from .model import ZERO, SimAccount, SimDataset, SimTrade, SimTransfer
from .prices import PriceHistory
from .retail_model import (
    BinanceRetail,
    SimCardPayment,
    SimConvert,
    SimDividend,
    SimDust,
    SimDustDetail,
    SimEarnPosition,
    SimEarnReward,
    SimFiatOrder,
)
from .times import DAY_MS, ms

D = Decimal
R = {
    "D1": "2024-01-15T09:00:00Z",
    "D2": "2024-01-16T09:00:00Z",
    "D3": "2024-01-17T09:00:00Z",
    "F1": "2024-02-01T09:00:00Z",
    "F2": "2024-02-02T09:00:00Z",
    "C1": "2024-02-03T10:00:00Z",
    "C2": "2024-02-04T10:00:00Z",
    "V1": "2024-02-10T12:00:00Z",
    "V2": "2024-03-05T12:00:00Z",
    "V3": "2024-03-06T12:00:00Z",
    "V4": "2024-03-07T12:00:00Z",
    "V5": "2024-03-20T12:00:00Z",
    "T1": "2024-03-25T12:00:00Z",
    "DV": "2024-04-01T00:00:00Z",
    "R1": "2024-05-01T00:00:00Z",
    "R2": "2024-06-01T00:00:00Z",
    "R3": "2024-05-12T00:00:00Z",
    "DU": "2024-08-01T00:00:00Z",
}
RT = {k: ms(v) for k, v in R.items()}
RETAIL_WALLETS: dict[str, dict[str, Decimal]] = {
    "spot": {
        "USDT": D("400"),
        "EUR": D("400"),
        "ETH": D("0.151"),
        "BTC": D("0.015"),
        "BNB": D("0.0109"),
        "XYZ": D("9.5"),
    },
    "funding": {"USDT": D("100"), "ETH": D("0.05")},
    "earn_flexible": {"USDT": D("501.1")},
    "earn_locked": {"ETH": D("0.3")},
}


def _prices() -> dict[str, PriceHistory]:
    return {
        "ETH/USDT": PriceHistory(
            [
                (0, D("2500")),
                (ms("2024-03-01T00:00:00Z"), D("3000")),
                (ms("2024-09-01T00:00:00Z"), D("3200")),
            ]
        ),
        "BTC/USDT": PriceHistory([(0, D("60000"))]),
        "BNB/USDT": PriceHistory([(0, D("500"))]),
        "SOL/USDT": PriceHistory([(0, D("150"))]),
        "EUR/USDT": PriceHistory([(0, D("1.10"))]),
    }


def retail_account(extra_converts: int = 0) -> SimAccount:
    """The account above; ``extra_converts`` adds that many small SUCCESS converts (1 USDT ->
    0.0004 ETH, one every 30 minutes from 2024-01-31T01:00) to fill the Convert window
    2024-01-31..03-01 past one page (1000): 718 fall in its first half (to
    02-14T23:59:59.999), 482 after."""
    converts = [
        SimConvert(9001, "USDT", D("1000"), "ETH", D("0.4"), RT["V1"]),
        SimConvert(9002, "ETH", D("0.1"), "USDT", D("300"), RT["V2"]),
        SimConvert(9003, "USDT", D("500"), "ETH", D("0.15"), RT["V3"], status="FAIL"),
        SimConvert(9004, "USDT", D("200"), "ETH", D("0.06"), RT["V4"], status="PROCESS"),
        SimConvert(9005, "EUR", D("600"), "BTC", D("0.01"), RT["V5"]),
    ]
    start = ms("2024-01-31T01:00:00Z")
    converts += [
        SimConvert(20_000 + n, "USDT", D("1"), "ETH", D("0.0004"), start + n * 1_800_000)
        for n in range(extra_converts)
    ]
    retail = BinanceRetail(
        converts=converts,
        card_payments=[
            SimCardPayment("cp-1", "buy", "EUR", "ETH", D("500"), D("0.2"), D("10"), RT["C1"]),
            SimCardPayment(
                "cp-2", "buy", "EUR", "ETH", D("300"), D("0.1"), D("6"), RT["C2"], status="Failed"
            ),
        ],
        fiat_orders=[
            SimFiatOrder("fo-eur-1", "deposit", "EUR", D("1000"), ZERO, RT["F1"]),
            SimFiatOrder("fo-eur-2", "deposit", "EUR", D("500"), ZERO, RT["F2"], status="Failed"),
        ],
        dust=[
            SimDust(66001, RT["DU"], [SimDustDetail("SOL", D("0.004"), D("0.0009"), D("0.000018"))])
        ],
        dividends=[SimDividend(7001, 88001, "BNB", D("0.01"), RT["DV"], "BNB distribution")],
        earn_positions=[
            SimEarnPosition("flexible", "USDT", D("501.1"), "USDT001"),
            SimEarnPosition("locked", "ETH", D("0.3"), "ETH*30", position_id=5501, duration=30),
        ],
        earn_rewards=[
            SimEarnReward("flexible", "USDT", D("0.5"), RT["R1"], "REALTIME", "USDT001"),
            SimEarnReward("flexible", "USDT", D("0.6"), RT["R2"], "BONUS", "USDT001"),
            SimEarnReward("locked", "ETH", D("0.001"), RT["R3"], position_id=5501),
        ],
        funding={"USDT": (D("100"), ZERO), "ETH": (D("0.05"), ZERO)},
    )
    spot = dict(RETAIL_WALLETS["spot"])
    if extra_converts:
        spot["USDT"] -= extra_converts * D("1")
        spot["ETH"] += extra_converts * D("0.0004")
    return SimAccount(
        exchange="binance",
        api_key=BINANCE_READONLY_KEY,
        secret=BINANCE_READONLY_SECRET,
        permissions=dict(BINANCE_READONLY_PERMISSIONS),
        balances={a: (v, ZERO) for a, v in spot.items()},
        trades=[
            SimTrade(
                "BTC/USDT",
                "buy",
                D("0.005"),
                D("60000"),
                D("0.5"),
                "XYZ",
                RT["T1"],
                id=31_000_001,
                order_id=41_000_001,
            )
        ],
        deposits=[
            SimTransfer("deposit", "USDT", D("2000"), RT["D1"], id="dep-r-usdt", txid="0xr1"),
            SimTransfer("deposit", "XYZ", D("10"), RT["D2"], id="dep-r-xyz", txid="0xr2"),
            SimTransfer("deposit", "SOL", D("0.004"), RT["D3"], id="dep-r-sol", txid="r3"),
        ],
        binance_retail=retail,
        created_ms=ms("2024-01-10T00:00:00Z"),
    )


def retail_dataset(extra_converts: int = 0) -> SimDataset:
    bmk = binance_markets(
        [
            ("ETH", "USDT", "0.0001", "0.01"),
            ("BTC", "USDT", "0.00001", "0.01"),
            ("BNB", "USDT", "0.001", "0.01"),
            ("SOL", "USDT", "0.001", "0.01"),
            ("EUR", "USDT", "0.1", "0.0001"),
        ]
    )
    ds = SimDataset(
        name="retail",
        binance_markets=bmk,
        coinbase_markets={},
        prices=_prices(),
        accounts={},
        notes=["binance: XYZ has no market (the T1 fee cannot be valued)"],
    )
    ro = ds.add_account(retail_account(extra_converts))
    add_binance_aliases(ds, ro)
    return ds


__all__ = ["DAY_MS", "RETAIL_WALLETS", "RT", "retail_account", "retail_dataset"]
