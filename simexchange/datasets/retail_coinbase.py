"""``coinbase_retail_dataset()``: ``small_dataset()`` whose Coinbase user also used the app's
Buy/Sell buttons, Convert and rewards (v2 transactions, ``cb_transactions.py``). Every figure
is hand-checkable; the sync's expected rows are written out in
``tests/ingest/test_coinbase_retail.py``.

Coinbase, after C6 of ``small.py`` (UTC; native currency USD):

  R0 2024-05-03T09:00:00Z receive 200 USDC                                   (a transfer)
  R1 2024-05-04T10:00:00Z buy  0.01 BTC, paid 612.00 USD from the USD wallet: subtotal 600.00
                          (unit price 60000.00) + fee 12.00          USD -612, BTC +0.01
  R2 2024-05-05T10:00:00Z buy  0.5 ETH for 1500.00 USD: FAILED                (moves nothing)
  R3 2024-05-06T10:00:00Z sell 0.1 ETH: value 310.00 (unit 3100.00) - fee 4.65 = 305.35 USD
                          received into the USD wallet               ETH -0.1, USD +305.35
  R4 2024-05-08T10:00:00Z trade (convert) 0.2 ETH -> 0.01 BTC (trade id cb-trade-R4)
                                                                     ETH -0.2, BTC +0.01
  R5 2024-05-09T10:00:00Z trade 150 USDC -> 1 SOL                    USDC -150, SOL +1
  R6 2024-05-10T10:00:00Z trade 0.5 SOL -> 80 USDC                   SOL -0.5, USDC +80
  R7 2024-05-11T10:00:00Z trade 0.1 ETH -> 300 USDC: PENDING (both legs; moves nothing)
  R8 2024-05-12T10:00:00Z staking_reward 0.002 ETH                   ETH +0.002
  R9 2024-05-13T10:00:00Z inflation_reward 0.01 SOL                  SOL +0.01
  R10 2024-05-14T10:00:00Z interest 1.25 USDC                        USDC +1.25
  R11 2024-05-15T10:00:00Z earn_payout 0.5 USDC                      USDC +0.5
  R12 2024-05-16T10:00:00Z incentives_rewards_payout 5 USDC          USDC +5
  R13 2024-05-17T10:00:00Z clawback -0.001 ETH (a type the sync does not know)  ETH -0.001
  R14 2024-05-18T10:00:00Z staking_reward 0.003 ETH: FAILED                   (moves nothing)
  R15 2024-05-20T10:00:00Z fiat_withdrawal 100.00 USD                (a transfer) USD -100

Balances (available, hold) = small's + the above:
  USD  5813.56 - 612 + 305.35 - 100 = 5406.91 (hold 100.00)
  BTC  0.08 + 0.01 + 0.01 = 0.10
  ETH  0.7995 - 0.1 - 0.2 + 0.002 - 0.001 = 0.5005
  SOL  1 - 0.5 + 0.01 = 0.51
  USDC 200 - 150 + 80 + 1.25 + 0.5 + 5 = 136.75
"""

from __future__ import annotations

from decimal import Decimal

from .cb_transactions import SimCbTransaction
from .ids import sim_uuid, txhash
from .keys import COINBASE_READONLY_KEY
from .model import ZERO, SimDataset, SimTransfer
from .small import small_dataset
from .times import ms

D = Decimal

RETAIL_T = {
    "R0": ms("2024-05-03T09:00:00.000Z"),
    "R1": ms("2024-05-04T10:00:00.000Z"),
    "R2": ms("2024-05-05T10:00:00.000Z"),
    "R3": ms("2024-05-06T10:00:00.000Z"),
    "R4": ms("2024-05-08T10:00:00.000Z"),
    "R5": ms("2024-05-09T10:00:00.000Z"),
    "R6": ms("2024-05-10T10:00:00.000Z"),
    "R7": ms("2024-05-11T10:00:00.000Z"),
    "R8": ms("2024-05-12T10:00:00.000Z"),
    "R9": ms("2024-05-13T10:00:00.000Z"),
    "R10": ms("2024-05-14T10:00:00.000Z"),
    "R11": ms("2024-05-15T10:00:00.000Z"),
    "R12": ms("2024-05-16T10:00:00.000Z"),
    "R13": ms("2024-05-17T10:00:00.000Z"),
    "R14": ms("2024-05-18T10:00:00.000Z"),
    "R15": ms("2024-05-20T10:00:00.000Z"),
}

RETAIL_COINBASE_BALANCES = {
    "USD": (D("5406.91"), D("100.00")),
    "BTC": (D("0.10"), ZERO),
    "ETH": (D("0.5005"), ZERO),
    "SOL": (D("0.51"), ZERO),
    "USDC": (D("136.75"), ZERO),
}


def retail_id(key: str) -> str:
    """The v2 transaction id of event ``key`` (its crypto / given leg)."""
    return sim_uuid("cb-retail", key)


def coinbase_retail_transactions() -> list[SimCbTransaction]:
    T = RETAIL_T

    def tx(key: str, kind: str, asset: str, amount: str, **kw: object) -> SimCbTransaction:
        return SimCbTransaction(kind, asset, D(amount), T[key], retail_id(key), **kw)  # type: ignore[arg-type]

    return [
        tx("R1", "buy", "BTC", "0.01", quote="USD", quote_amount=D("612.00"), fee=D("12.00")),
        tx("R2", "buy", "ETH", "0.5", quote="USD", quote_amount=D("1500.00"), fee=D("22.17"),
           status="failed"),
        tx("R3", "sell", "ETH", "-0.1", quote="USD", quote_amount=D("305.35"), fee=D("4.65")),
        tx("R4", "trade", "ETH", "-0.2", quote="BTC", quote_amount=D("0.01"),
           ref=sim_uuid("cb-trade", "R4")),
        tx("R5", "trade", "USDC", "-150", quote="SOL", quote_amount=D("1"),
           ref=sim_uuid("cb-trade", "R5")),
        tx("R6", "trade", "SOL", "-0.5", quote="USDC", quote_amount=D("80"),
           ref=sim_uuid("cb-trade", "R6")),
        tx("R7", "trade", "ETH", "-0.1", quote="USDC", quote_amount=D("300"),
           ref=sim_uuid("cb-trade", "R7"), status="pending"),
        tx("R8", "staking_reward", "ETH", "0.002"),
        tx("R9", "inflation_reward", "SOL", "0.01"),
        tx("R10", "interest", "USDC", "1.25"),
        tx("R11", "earn_payout", "USDC", "0.5"),
        tx("R12", "incentives_rewards_payout", "USDC", "5"),
        tx("R13", "clawback", "ETH", "-0.001"),
        tx("R14", "staking_reward", "ETH", "0.003", status="failed"),
    ]  # fmt: skip


def coinbase_retail_dataset() -> SimDataset:
    ds = small_dataset()
    ds.name = "coinbase-retail"
    acct = ds.accounts[COINBASE_READONLY_KEY]  # the aliases share these lists
    acct.cb_v2.extend(coinbase_retail_transactions())
    acct.deposits.append(
        SimTransfer(
            "deposit",
            "USDC",
            D("200"),
            RETAIL_T["R0"],
            id=retail_id("R0"),
            txid="0x" + txhash("cb-retail-R0"),
            network="ethereum",
            cb_type="receive",
        )
    )
    acct.withdrawals.append(
        SimTransfer(
            "withdrawal",
            "USD",
            D("100.00"),
            RETAIL_T["R15"],
            id=retail_id("R15"),
            cb_type="fiat_withdrawal",
        )
    )
    # ``balances`` is one dict per key (``dataclasses.replace`` copies the reference): update
    # it in place so every alias sees the same wallets.
    acct.balances.update(RETAIL_COINBASE_BALANCES)
    for a in ds.accounts.values():
        if a.trades is acct.trades:
            a.version += 1
    return ds
