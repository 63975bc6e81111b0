"""Order execution: the separate trading key, the guardrails, placing one limit
sell per triggered step exactly once, and following it until it is filled.

- `trading_keys.py` the opt-in trading key: checked (trade yes, withdraw/transfer never),
  sealed, removable, re-checked before every order
- `guardrails.py`  kill switch, daily cap on sold value, global paper mode
- `sizing.py`      the order's quantity and price from the step, the balance and the market
- `placement.py`   one order per step: Redis lock + conditional update, lookup by client id
- `lifecycle.py`   open orders followed to filled / cancelled / expired; confirm mode
- `cancel.py`      an open order cancelled on the exchange by its owner
- `with_password.py` the trading key and guardrails changes, after the password again
- `views.py`       the orders and audit rows as typed views
"""
