"""Coinbase App (v2) transactions of a wallet: every fill as an ``advanced_trade_fill`` in the
base and the quote wallet (as Coinbase lists them), sends with ``network.transaction_fee``,
receives, fiat deposits/withdrawals (Coinbase App API reference, "Transactions", "Deposits",
"Withdrawals"; shapes as ccxt's ``ts/src/test/static/response/coinbase.json`` records them),
and the retail types (buy, sell, trade, rewards, others: ``v2_retail.py``)."""

from __future__ import annotations

import hashlib
import threading
from decimal import Decimal

from .._wire import Request, Response, iso_seconds, plain
from ..datasets.ids import sim_uuid
from ..datasets.model import SimAccount
from .pagination import v2_page
from .v2_retail import retail_transactions
from .venue import CURRENCY_NAMES, FIAT, CoinbaseVenue


class LedgerEndpoints:
    def __init__(self, venue: CoinbaseVenue) -> None:
        self.venue = venue
        self._lock = threading.Lock()
        # id(account.trades) -> (account version, transactions per currency, newest first)
        self._cache: dict[int, tuple[int, dict[str, list[dict]]]] = {}

    def _ledger(self, acct: SimAccount) -> dict[str, list[dict]]:
        """v2 transactions per currency, newest first."""
        with self._lock, acct.lock:
            key = id(acct.trades)
            hit = self._cache.get(key)
            if hit is not None and hit[0] == acct.version:
                return hit[1]
            out: dict[str, list[tuple[int, dict]]] = {}

            def add(cur: str, t: int, d: dict) -> None:
                aid = self.venue.account_id(acct, cur)
                d["resource"] = "transaction"
                d["resource_path"] = f"/v2/accounts/{aid}/transactions/{d['id']}"
                d["created_at"] = iso_seconds(t)
                d["updated_at"] = iso_seconds(t)
                out.setdefault(cur, []).append((t, d))

            def money(amount: Decimal, cur: str) -> dict:
                return {"amount": plain(amount), "currency": cur}

            def native(amount: Decimal, cur: str, t: int) -> dict:
                usd = self.venue.usd_value(cur, amount, t).quantize(Decimal("0.01"))
                return {"amount": plain(usd), "currency": "USD"}

            for tr in acct.trades:
                base, quote = tr.base, tr.quote
                sign = 1 if tr.side == "buy" else -1
                pid = tr.symbol.replace("/", "-")
                fill = {
                    "fill_price": plain(tr.price),
                    "product_id": pid,
                    "order_id": sim_uuid("cb-order", acct.uid, tr.order_id),
                    "commission": plain(tr.fee),
                    "order_side": tr.side,
                }
                b_amt = tr.qty * sign
                q_amt = -(tr.quote_qty * sign) - tr.fee
                for cur, amt, tag in ((base, b_amt, "b"), (quote, q_amt, "q")):
                    add(
                        cur,
                        tr.time,
                        {
                            "id": sim_uuid("cb-tx-fill", acct.uid, tr.id, tag),
                            "type": "advanced_trade_fill",
                            "status": "completed",
                            "amount": money(amt, cur),
                            "native_amount": native(amt, cur, tr.time),
                            "advanced_trade_fill": dict(fill),
                        },
                    )
            for tf in acct.deposits + acct.withdrawals:
                cur = tf.asset
                fiat = cur in FIAT
                status = {"ok": "completed", "pending": "pending", "failed": "failed"}.get(
                    tf.status, "completed"
                )
                tx_id = tf.id or sim_uuid("cb-tx", acct.uid, tf.kind, tf.time, cur)
                if tf.kind == "deposit":
                    typ = tf.cb_type or ("fiat_deposit" if fiat else "receive")
                    amt = tf.amount
                else:
                    typ = tf.cb_type or ("fiat_withdrawal" if fiat else "send")
                    amt = -(tf.amount + tf.fee)
                d: dict[str, object] = {
                    "id": tx_id,
                    "type": typ,
                    "status": status,
                    "amount": money(amt, cur),
                    "native_amount": native(amt, cur, tf.time),
                }
                if not fiat:
                    net: dict[str, object] = {
                        "status": "confirmed" if tf.status == "ok" else "pending",
                        "hash": tf.txid or hashlib.sha256(tx_id.encode()).hexdigest(),
                        "network_name": tf.network or CURRENCY_NAMES.get(cur, cur).lower(),
                    }
                    if tf.kind == "withdrawal":
                        net["transaction_fee"] = money(tf.fee, cur)
                        d["to"] = {"resource": "address", "address": tf.address or "unknown"}
                        d["details"] = {"title": f"Sent {CURRENCY_NAMES.get(cur, cur)}"}
                    else:
                        d["from"] = {"resource": f"{net['network_name']}_network", "currency": cur}
                        d["details"] = {"title": f"Received {CURRENCY_NAMES.get(cur, cur)}"}
                    d["network"] = net
                else:
                    d[typ] = {
                        "id": sim_uuid("cb-fiat", tx_id),
                        "resource": typ.split("_")[1],
                    }
                add(cur, tf.time, d)
            for cur, t, d in retail_transactions(self.venue, acct):
                add(cur, t, d)
            result = {
                cur: [d for _t, d in sorted(rows, key=lambda r: (r[0], r[1]["id"]), reverse=True)]
                for cur, rows in out.items()
            }
            self._cache[key] = (acct.version, result)
            return result

    def transactions(self, req: Request, account_id: str) -> Response:
        acct = req.signed_account()
        cur = self.venue.find_currency(acct, account_id)
        items = self._ledger(acct).get(cur, [])
        return v2_page(req, items, f"/v2/accounts/{account_id}/transactions")

    def _fiat_moves(self, req: Request, account_id: str, kind: str) -> Response:
        acct = req.signed_account()
        cur = self.venue.find_currency(acct, account_id)
        src = acct.deposits if kind == "deposit" else acct.withdrawals
        rows = []
        for tf in sorted(src, key=lambda x: x.time, reverse=True):
            if tf.asset != cur or cur not in FIAT:
                continue
            amt = {"amount": plain(tf.amount), "currency": cur}
            rows.append(
                {
                    "id": tf.id or sim_uuid("cb-fiat", acct.uid, kind, tf.time),
                    "status": "completed" if tf.status == "ok" else tf.status,
                    "payment_method": {
                        "id": sim_uuid("cb-pm", acct.uid),
                        "resource": "payment_method",
                    },
                    "transaction": {"id": tf.id, "resource": "transaction"},
                    "amount": amt,
                    "subtotal": amt,
                    "fee": {"amount": plain(tf.fee), "currency": cur},
                    "created_at": iso_seconds(tf.time),
                    "updated_at": iso_seconds(tf.time),
                    "resource": kind,
                    "resource_path": f"/v2/accounts/{account_id}/{kind}s/{tf.id}",
                    "committed": True,
                    "payout_at": iso_seconds(tf.time),
                }
            )
        return v2_page(req, rows, f"/v2/accounts/{account_id}/{kind}s")

    def fiat_deposits(self, req: Request, account_id: str) -> Response:
        return self._fiat_moves(req, account_id, "deposit")

    def fiat_withdrawals(self, req: Request, account_id: str) -> Response:
        return self._fiat_moves(req, account_id, "withdrawal")
