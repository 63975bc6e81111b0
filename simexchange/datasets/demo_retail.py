"""The demo user's Binance life beside the order book (issue 13): part of the ETH came by card
and by Convert, earns Simple Earn interest, and some sits in the Funding wallet.

None of it touches the spot wallet (the demo's spot balances stay exactly what its trades and
transfers imply): the bank deposit, the card buy and the Convert credit the Funding wallet,
and the flexible Earn position is subscribed from Funding. No random draws (the rest of the
demo dataset stays what it was):

  t0+100d  fiat deposit 1200 EUR by bank into Funding (fiat order demo-fo-1)
  t0+101d  card buy: 600 EUR (6 EUR fee included) -> ETH at the minute's price, into Funding
  t0+160d  Convert 1200 EUR -> ETH (SUCCESS), in Funding
  t0+170d  0.5 ETH of it subscribed to Simple Earn flexible
  monthly  from t0+200d, six REALTIME rewards of 0.001 ETH (2.4 % a year on 0.5 ETH),
           added to the position (0.506 ETH at the end)
EUR/USDT is 1.08 throughout (its market is added to the demo's).
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from .model import ZERO, SimMarket
from .prices import PriceHistory
from .retail_model import (
    BinanceRetail,
    SimCardPayment,
    SimConvert,
    SimEarnPosition,
    SimEarnReward,
    SimFiatOrder,
)
from .times import DAY_MS

D = Decimal
EUR_USDT = D("1.08")
Q4 = D("0.0001")


def add_eur_market(markets: dict[str, SimMarket], prices: dict[str, PriceHistory]) -> None:
    markets["EUR/USDT"] = SimMarket("EUR", "USDT", D("0.1"), D("0.0001"), D("0.1"))
    prices["EUR/USDT"] = PriceHistory([(0, EUR_USDT)])


def demo_binance_retail(t0: int, prices: dict[str, PriceHistory]) -> BinanceRetail:
    eth = prices["ETH/USDT"]
    t_card, t_convert = t0 + 101 * DAY_MS + 3_600_000, t0 + 160 * DAY_MS + 7_200_000
    # what 600 EUR (minus its 6 EUR fee) buys at the minute's ETH/USDT
    card_eth = ((D("594") * EUR_USDT) / eth.at(t_card)).quantize(Q4, ROUND_DOWN)
    convert_eth = ((D("1200") * EUR_USDT) / eth.at(t_convert)).quantize(Q4, ROUND_DOWN)
    rewards = [
        SimEarnReward("flexible", "ETH", D("0.001"), t0 + (200 + 30 * k) * DAY_MS, "REALTIME")
        for k in range(6)
    ]
    subscribed = D("0.5")
    return BinanceRetail(
        fiat_orders=[
            SimFiatOrder(
                "demo-fo-1", "deposit", "EUR", D("1200"), ZERO, t0 + 100 * DAY_MS, wallet="funding"
            ),
        ],
        card_payments=[
            SimCardPayment(
                "demo-cp-1",
                "buy",
                "EUR",
                "ETH",
                D("600"),
                card_eth,
                D("6"),
                t_card,
                wallet="funding",
            ),
        ],
        converts=[
            SimConvert(880_001, "EUR", D("1200"), "ETH", convert_eth, t_convert, wallet="funding")
        ],
        earn_positions=[
            SimEarnPosition("flexible", "ETH", subscribed + sum((r.amount for r in rewards), ZERO))
        ],
        earn_rewards=rewards,
        funding={"ETH": (card_eth + convert_eth - subscribed, ZERO)},
    )
