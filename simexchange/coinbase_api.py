"""Coinbase Advanced Trade (v3) and Coinbase App (v2) REST, as ccxt's ``coinbase`` class calls
them, with CDP key authentication (a JWT per request, ES256 or EdDSA).

Private calls need ``Authorization: Bearer <jwt>``: the signature is verified with the
registered key's public key, ``exp``/``nbf`` are checked and the ``uri`` claim must be
``"<METHOD> <host><path>"`` of this very request. A failure answers 401 ``Unauthorized`` (text,
like Coinbase), which ccxt raises as ``AuthenticationError``.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import json
import re
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from ._wire import (
    Request,
    Response,
    candle,
    iso_micro,
    iso_seconds,
    json_response,
    parse_iso,
    plain,
    stats_24h,
    text_response,
)
from .datasets import SimAccount, SimMarket, SimTrade, iso_ms, sim_uuid

if TYPE_CHECKING:
    from .server import SimExchange

FIAT = {"USD", "EUR", "GBP"}
CURRENCY_NAMES = {
    "BTC": "Bitcoin",
    "ETH": "Ethereum",
    "SOL": "Solana",
    "USDC": "USDC",
    "USDT": "Tether",
    "ADA": "Cardano",
    "XRP": "XRP",
    "DOGE": "Dogecoin",
    "DOT": "Polkadot",
    "LINK": "Chainlink",
    "LTC": "Litecoin",
    "USD": "US Dollar",
    "EUR": "Euro",
    "GBP": "British Pound",
}
GRANULARITY = {
    "ONE_MINUTE": 60,
    "FIVE_MINUTE": 300,
    "FIFTEEN_MINUTE": 900,
    "THIRTY_MINUTE": 1800,
    "ONE_HOUR": 3600,
    "TWO_HOUR": 7200,
    "SIX_HOUR": 21600,
    "ONE_DAY": 86400,
}
PUBLIC_PREFIXES = ("/api/v3/brokerage/market/", "/v2/currencies", "/v2/prices/")
PUBLIC_PATHS = {"/api/v3/brokerage/time", "/v2/time", "/v2/exchange-rates"}


class CoinbaseError(Exception):
    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.resp = response


def _unauthorized(reason: str) -> CoinbaseError:
    r = text_response(401, "Unauthorized\n")
    r.headers.append(("X-Sim-Auth-Error", reason))
    return CoinbaseError(r)


def _invalid(msg: str) -> CoinbaseError:
    return CoinbaseError(
        json_response({"error": "INVALID_ARGUMENT", "error_details": msg, "message": msg}, 400)
    )


def _not_found_v3(msg: str = "not found") -> CoinbaseError:
    return CoinbaseError(
        json_response({"error": "NOT_FOUND", "error_details": msg, "message": msg}, 404)
    )


def _not_found_v2() -> CoinbaseError:
    return CoinbaseError(
        json_response({"errors": [{"id": "not_found", "message": "Not found"}]}, 404)
    )


def _b64url(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def _int(req: Request, name: str, default: int) -> int:
    v = req.arg(name)
    if v in (None, ""):
        return default
    try:
        return int(v)
    except ValueError:
        raise _invalid(f"invalid {name}") from None


class _FillIndex:
    """Fills of one account (optionally one product), newest first, JSON precomputed."""

    __slots__ = ("frags", "neg_seq", "times_desc")

    def __init__(self, fills: list[tuple[int, int, bytes]]) -> None:
        fills = sorted(fills, key=lambda f: -f[0])
        self.neg_seq = [-f[0] for f in fills]  # ascending
        self.times_desc = [f[1] for f in fills]
        self.frags = [f[2] for f in fills]


class CoinbaseAPI:
    def __init__(self, sim: SimExchange) -> None:
        self.sim = sim
        self.ds = sim.dataset
        self.by_id: dict[str, SimMarket] = {
            m.coinbase_id: m for m in self.ds.coinbase_markets.values()
        }
        self._keys: dict[str, object] = {}
        self._lock = threading.Lock()
        self._fill_cache: dict[int, tuple[int, dict[str | None, _FillIndex]]] = {}
        self._tx_cache: dict[int, tuple[int, dict[str, list[dict]]]] = {}
        b = "/api/v3/brokerage"
        self.exact: dict[str, Callable[[Request], Response]] = {
            f"{b}/time": self.time_v3,
            f"{b}/market/products": self.products,
            f"{b}/products": self.products,
            f"{b}/best_bid_ask": self.best_bid_ask,
            f"{b}/transaction_summary": self.transaction_summary,
            f"{b}/key_permissions": self.key_permissions,
            f"{b}/accounts": self.accounts_v3,
            f"{b}/orders/historical/fills": self.fills,
            f"{b}/portfolios": self.portfolios,
            "/v2/time": self.time_v2,
            "/v2/currencies": self.currencies_fiat,
            "/v2/currencies/crypto": self.currencies_crypto,
            "/v2/exchange-rates": self.exchange_rates,
            "/v2/accounts": self.accounts_v2,
            "/v2/user": self.user,
        }
        self.patterns: list[tuple[re.Pattern[str], Callable[..., Response]]] = [
            (re.compile(rf"^{b}/(?:market/)?products/([^/]+)/ticker$"), self.product_ticker),
            (re.compile(rf"^{b}/(?:market/)?products/([^/]+)/candles$"), self.candles),
            (re.compile(rf"^{b}/(?:market/)?products/([^/]+)$"), self.product),
            (re.compile(rf"^{b}/accounts/([^/]+)$"), self.account_v3),
            (re.compile(r"^/v2/accounts/([^/]+)/transactions$"), self.transactions),
            (re.compile(r"^/v2/accounts/([^/]+)/deposits$"), self.fiat_deposits),
            (re.compile(r"^/v2/accounts/([^/]+)/withdrawals$"), self.fiat_withdrawals),
            (re.compile(r"^/v2/accounts/([^/]+)$"), self.account_v2),
            (re.compile(r"^/v2/prices/([^/]+)/(spot|buy|sell)$"), self.v2_price),
        ]

    # ---- dispatch & auth ---------------------------------------------------------------

    def handle(self, req: Request) -> Response:
        try:
            fn = self.exact.get(req.path)
            groups: tuple = ()
            if fn is None:
                for pat, f in self.patterns:
                    mt = pat.match(req.path)
                    if mt:
                        fn, groups = f, mt.groups()
                        break
            if fn is None:
                raise _not_found_v2() if req.path.startswith("/v2/") else _not_found_v3()
            public = req.path in PUBLIC_PATHS or req.path.startswith(PUBLIC_PREFIXES)
            req.account = None if public else self._auth(req)
            return fn(req, *groups)
        except CoinbaseError as e:
            return e.resp

    def _public_key(self, acct: SimAccount) -> object:
        with self._lock:
            k = self._keys.get(acct.api_key)
            if k is None:
                secret = acct.secret
                if secret.lstrip().startswith("-----BEGIN"):
                    priv = serialization.load_pem_private_key(secret.encode(), None)
                else:
                    raw = base64.b64decode(secret)
                    priv = ed25519.Ed25519PrivateKey.from_private_bytes(raw[:32])
                k = self._keys[acct.api_key] = priv.public_key()
            return k

    def _auth(self, req: Request) -> SimAccount:
        authz = req.headers.get("Authorization") or ""
        if not authz.startswith("Bearer "):
            raise _unauthorized("missing bearer token")
        token = authz[7:].strip()
        try:
            h64, p64, s64 = token.split(".")
            header = json.loads(_b64url(h64))
            claims = json.loads(_b64url(p64))
            sig = _b64url(s64)
        except (ValueError, TypeError):
            raise _unauthorized("malformed JWT") from None
        name = claims.get("sub") or header.get("kid")
        acct = self.ds.accounts.get(name) if isinstance(name, str) else None
        if acct is None or acct.exchange != "coinbase":
            raise _unauthorized("unknown key")
        key = self._public_key(acct)
        signing_input = f"{h64}.{p64}".encode()
        alg = header.get("alg")
        try:
            if alg == "ES256" and isinstance(key, ec.EllipticCurvePublicKey):
                if len(sig) != 64:
                    raise InvalidSignature()
                der = encode_dss_signature(
                    int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
                )
                key.verify(der, signing_input, ec.ECDSA(hashes.SHA256()))
            elif alg == "EdDSA" and isinstance(key, ed25519.Ed25519PublicKey):
                key.verify(sig, signing_input)
            else:
                raise _unauthorized(f"algorithm {alg} does not match the key")
        except InvalidSignature:
            raise _unauthorized("bad signature") from None
        now = self.sim.now_ms() / 1000
        exp, nbf = claims.get("exp"), claims.get("nbf")
        if not isinstance(exp, int | float) or exp < now:
            raise _unauthorized("token expired")
        if isinstance(nbf, int | float) and nbf > now + 30:
            raise _unauthorized("token not yet valid")
        if isinstance(exp, int | float) and isinstance(nbf, int | float) and exp - nbf > 300:
            raise _unauthorized("token lifetime too long")
        uris = claims.get("uris") if alg == "EdDSA" else [claims.get("uri")]
        expected = f"{req.method} {req.headers.get('Host', '')}{req.path}"
        ok = False
        for u in uris or []:
            if isinstance(u, str):
                u2 = re.sub(r"^(\S+) https?://", r"\1 ", u)
                if u2 == expected:
                    ok = True
        if not ok:
            raise _unauthorized(f"uri claim does not match {expected!r}")
        return acct

    # ---- helpers ----------------------------------------------------------------------

    def _last(self, m: SimMarket) -> Decimal:
        hist = self.ds.prices.get(m.symbol)
        p = hist.at(self.sim.now_ms()) if hist is not None else None
        if p is None and hist is not None and len(hist):
            p = hist.prices[0]
        return p if p is not None else Decimal(0)

    def _market(self, product_id: str) -> SimMarket:
        m = self.by_id.get(product_id.upper())
        if m is None:
            raise _not_found_v3("product not found")
        return m

    def _portfolio(self, acct: SimAccount) -> str:
        return sim_uuid("cb-portfolio", acct.uid)

    def _account_id(self, acct: SimAccount, currency: str) -> str:
        return sim_uuid("cb-account", acct.uid, currency)

    def _usd_value(self, asset: str, amount: Decimal, t: int) -> Decimal:
        if asset in FIAT:
            return amount
        for q in ("USD", "USDT", "USDC"):
            hist = self.ds.prices.get(f"{asset}/{q}")
            if hist is not None:
                p = hist.at(t)
                if p is not None:
                    return amount * p
        return Decimal(0)

    # ---- public -----------------------------------------------------------------------

    def time_v3(self, req: Request) -> Response:
        now = self.sim.now_ms()
        return json_response(
            {"iso": iso_ms(now), "epochSeconds": str(now // 1000), "epochMillis": str(now)}
        )

    def time_v2(self, req: Request) -> Response:
        now = self.sim.now_ms()
        return json_response({"data": {"iso": iso_seconds(now), "epoch": now // 1000}})

    def _product(self, m: SimMarket) -> dict:
        now = self.sim.now_ms()
        hist = self.ds.prices.get(m.symbol)
        last = self._last(m)
        if hist is not None and len(hist):
            s = stats_24h(hist, now)
            pct = (s["last"] - s["open"]) / s["open"] * 100 if s["open"] else Decimal(0)
            vol = Decimal(s["count"])
        else:
            pct, vol = Decimal(0), Decimal(0)
        return {
            "product_id": m.coinbase_id,
            "price": plain(last),
            "price_percentage_change_24h": format(pct.quantize(Decimal("0.00000001")), "f"),
            "volume_24h": plain(vol),
            "volume_percentage_change_24h": "0",
            "base_increment": plain(m.step),
            "quote_increment": plain(m.tick),
            "quote_min_size": plain(m.min_notional),
            "quote_max_size": "150000000",
            "base_min_size": plain(m.min_qty if m.min_qty is not None else m.step),
            "base_max_size": "3400",
            "base_name": CURRENCY_NAMES.get(m.base, m.base),
            "quote_name": CURRENCY_NAMES.get(m.quote, m.quote),
            "watched": False,
            "is_disabled": False,
            "new": False,
            "status": "online",
            "cancel_only": False,
            "limit_only": False,
            "post_only": False,
            "trading_disabled": False,
            "auction_mode": False,
            "product_type": "SPOT",
            "quote_currency_id": m.quote,
            "base_currency_id": m.base,
            "fcm_trading_session_details": None,
            "mid_market_price": "",
            "alias": "",
            "alias_to": [],
            "base_display_symbol": m.base,
            "quote_display_symbol": m.quote,
            "view_only": False,
            "price_increment": plain(m.tick),
            "display_name": f"{m.base}-{m.quote}",
            "product_venue": "CBE",
            "approximate_quote_24h_volume": plain(vol * last),
        }

    def products(self, req: Request) -> Response:
        ptype = (req.arg("product_type") or "").upper()
        if ptype == "FUTURE":
            return json_response({"products": [], "num_products": 0})
        ids = req.args("product_ids")
        if ids:
            markets = [self.by_id[i.upper()] for i in ids if i.upper() in self.by_id]
        else:
            markets = list(self.ds.coinbase_markets.values())
        offset = _int(req, "offset", 0)
        limit = _int(req, "limit", 0)
        sel = markets[offset : offset + limit] if limit > 0 else markets[offset:]
        return json_response(
            {"products": [self._product(m) for m in sel], "num_products": len(markets)}
        )

    def product(self, req: Request, product_id: str) -> Response:
        return json_response(self._product(self._market(product_id)))

    def product_ticker(self, req: Request, product_id: str) -> Response:
        m = self._market(product_id)
        limit = max(1, min(_int(req, "limit", 1), 1000))
        hist = self.ds.prices.get(m.symbol)
        now = self.sim.now_ms()
        trades = []
        if hist is not None and len(hist):
            j = bisect.bisect_right(hist.times, now) or 1
            for k, i in enumerate(range(j - 1, max(-1, j - 1 - limit), -1)):
                t = now if k == 0 else hist.times[i]
                trades.append(
                    {
                        "trade_id": str(10_000_000 + i),
                        "product_id": m.coinbase_id,
                        "price": plain(hist.prices[i]),
                        "size": "0.01",
                        "time": iso_micro(t),
                        "side": "BUY" if i % 2 else "SELL",
                        "bid": "",
                        "ask": "",
                    }
                )
        last = self._last(m)
        return json_response(
            {"trades": trades, "best_bid": plain(last), "best_ask": plain(last + m.tick)}
        )

    def best_bid_ask(self, req: Request) -> Response:
        ids = req.args("product_ids")
        markets = [self._market(i) for i in ids] if ids else list(self.ds.coinbase_markets.values())
        now = iso_micro(self.sim.now_ms())
        books = []
        for m in markets:
            last = self._last(m)
            books.append(
                {
                    "product_id": m.coinbase_id,
                    "bids": [{"price": plain(last), "size": "1"}],
                    "asks": [{"price": plain(last + m.tick), "size": "1"}],
                    "time": now,
                }
            )
        return json_response({"pricebooks": books})

    def candles(self, req: Request, product_id: str) -> Response:
        m = self._market(product_id)
        gran = req.arg("granularity") or "ONE_MINUTE"
        sec = GRANULARITY.get(gran)
        if sec is None:
            raise _invalid("unknown granularity")
        try:
            start = int(req.arg("start") or "")
            end = int(req.arg("end") or "")
        except ValueError:
            raise _invalid("start and end are required (unix seconds)") from None
        iv = sec * 1000
        now = self.sim.now_ms()
        first_open = -(-start * 1000 // iv) * iv
        last_open = min(end * 1000 - 1, now) // iv * iv
        n = (last_open - first_open) // iv + 1 if last_open >= first_open else 0
        limit = _int(req, "limit", 350)
        if n > 350:
            raise _invalid("number of candles requested should be less than 350")
        hist = self.ds.prices.get(m.symbol)
        rows = []
        if hist is not None and len(hist):
            first_pt = hist.first_time() // iv * iv
            o = last_open
            while o >= first_open and o >= first_pt and len(rows) < limit:
                op, hi, lo, cl, cnt = candle(hist, o, iv, now)
                rows.append(
                    {
                        "start": str(o // 1000),
                        "low": plain(lo),
                        "high": plain(hi),
                        "open": plain(op),
                        "close": plain(cl),
                        "volume": str(cnt),
                    }
                )
                o -= iv
        return json_response({"candles": rows})

    def _currencies(self) -> tuple[list[str], list[str]]:
        cur: set[str] = set()
        for m in self.ds.coinbase_markets.values():
            cur.update((m.base, m.quote))
        for a in self.ds.accounts.values():
            if a.exchange == "coinbase":
                cur.update(a.balances)
        fiat = sorted(c for c in cur if c in FIAT)
        crypto = sorted(c for c in cur if c not in FIAT)
        return fiat, crypto

    def currencies_fiat(self, req: Request) -> Response:
        fiat, _ = self._currencies()
        return json_response(
            {
                "data": [
                    {"id": c, "name": CURRENCY_NAMES.get(c, c), "min_size": "0.01"} for c in fiat
                ]
            }
        )

    def currencies_crypto(self, req: Request) -> Response:
        _, crypto = self._currencies()
        return json_response(
            {
                "data": [
                    {
                        "asset_id": sim_uuid("asset", c),
                        "code": c,
                        "name": CURRENCY_NAMES.get(c, c),
                        "color": "#000000",
                        "sort_index": 100 + k,
                        "exponent": 8,
                        "type": "crypto",
                        "address_regex": "",
                    }
                    for k, c in enumerate(crypto)
                ]
            }
        )

    def exchange_rates(self, req: Request) -> Response:
        base = (req.arg("currency") or "USD").upper()
        now = self.sim.now_ms()
        fiat, crypto = self._currencies()
        rates = {}
        for c in fiat + crypto:
            if c == base:
                rates[c] = "1"
                continue
            usd = self._usd_value(c, Decimal(1), now)
            base_usd = self._usd_value(base, Decimal(1), now)
            if usd and base_usd:
                rates[c] = format((base_usd / usd).quantize(Decimal("1e-12")).normalize(), "f")
        return json_response({"data": {"currency": base, "rates": rates}})

    def v2_price(self, req: Request, pair: str, kind: str) -> Response:
        m = self._market(pair)
        last = self._last(m)
        if kind == "buy":
            last += m.tick
        return json_response({"data": {"amount": plain(last), "base": m.base, "currency": m.quote}})

    # ---- private v3 ---------------------------------------------------------------------

    def transaction_summary(self, req: Request) -> Response:
        return json_response(
            {
                "total_volume": 0,
                "total_fees": 0,
                "fee_tier": {
                    "pricing_tier": "Advanced 1",
                    "usd_from": "0",
                    "usd_to": "1000",
                    "taker_fee_rate": "0.006",
                    "maker_fee_rate": "0.004",
                    "aop_from": "",
                    "aop_to": "",
                },
                "margin_rate": None,
                "goods_and_services_tax": None,
                "advanced_trade_only_volume": 0,
                "advanced_trade_only_fees": 0,
                "coinbase_pro_volume": 0,
                "coinbase_pro_fees": 0,
                "total_balance": "",
                "has_promo_fee": False,
            }
        )

    def key_permissions(self, req: Request) -> Response:
        acct: SimAccount = req.account  # type: ignore[attr-defined]
        p = acct.permissions
        return json_response(
            {
                "can_view": bool(p.get("can_view", True)),
                "can_trade": bool(p.get("can_trade", False)),
                "can_transfer": bool(p.get("can_transfer", False)),
                "portfolio_uuid": self._portfolio(acct),
                "portfolio_type": "DEFAULT",
            }
        )

    def portfolios(self, req: Request) -> Response:
        acct: SimAccount = req.account  # type: ignore[attr-defined]
        return json_response(
            {
                "portfolios": [
                    {
                        "name": "Default",
                        "uuid": self._portfolio(acct),
                        "type": "DEFAULT",
                        "deleted": False,
                    }
                ]
            }
        )

    def _v3_account(self, acct: SimAccount, cur: str, free: Decimal, hold: Decimal) -> dict:
        fiat = cur in FIAT
        created = iso_ms(acct.created_ms)
        return {
            "uuid": self._account_id(acct, cur),
            "name": f"Cash ({cur})" if fiat else f"{cur} Wallet",
            "currency": cur,
            "available_balance": {"value": plain(free), "currency": cur},
            "default": fiat,
            "active": True,
            "created_at": created,
            "updated_at": created,
            "deleted_at": None,
            "type": "ACCOUNT_TYPE_FIAT" if fiat else "ACCOUNT_TYPE_CRYPTO",
            "ready": True,
            "hold": {"value": plain(hold), "currency": cur},
            "retail_portfolio_id": self._portfolio(acct),
            "platform": "ACCOUNT_PLATFORM_CONSUMER",
        }

    def _balances(self, acct: SimAccount) -> list[tuple[str, Decimal, Decimal]]:
        with acct.lock:
            return sorted((c, f, h) for c, (f, h) in acct.balances.items())

    def accounts_v3(self, req: Request) -> Response:
        acct: SimAccount = req.account  # type: ignore[attr-defined]
        limit = _int(req, "limit", 49)
        limit = max(1, min(limit, 250, self.sim.coinbase_accounts_page_size))
        cursor = req.arg("cursor") or "0"
        try:
            offset = int(cursor)
        except ValueError:
            raise _invalid("invalid cursor") from None
        rows = self._balances(acct)
        page = rows[offset : offset + limit]
        has_next = offset + limit < len(rows)
        return json_response(
            {
                "accounts": [self._v3_account(acct, c, f, h) for c, f, h in page],
                "has_next": has_next,
                "cursor": str(offset + limit) if has_next else "",
                "size": len(page),
            }
        )

    def account_v3(self, req: Request, uuid_: str) -> Response:
        acct: SimAccount = req.account  # type: ignore[attr-defined]
        for c, f, h in self._balances(acct):
            if self._account_id(acct, c) == uuid_:
                return json_response({"account": self._v3_account(acct, c, f, h)})
        raise _not_found_v3("account not found")

    def _fill_frag(self, acct: SimAccount, t: SimTrade) -> bytes:
        m = self.ds.coinbase_markets.get(t.symbol)
        pid = m.coinbase_id if m else t.symbol.replace("/", "-")
        d = {
            "entry_id": hashlib.sha256(f"{acct.uid}:{t.id}".encode()).hexdigest(),
            "trade_id": sim_uuid("cb-fill", acct.uid, t.id),
            "order_id": sim_uuid("cb-order", acct.uid, t.order_id),
            "trade_time": iso_ms(t.time),
            "trade_type": "FILL",
            "price": plain(t.price),
            "size": plain(t.qty),
            "commission": plain(t.fee),
            "product_id": pid,
            "sequence_timestamp": iso_micro(t.time),
            "liquidity_indicator": "MAKER" if t.is_maker else "TAKER",
            "size_in_quote": False,
            "user_id": sim_uuid("cb-user", acct.uid),
            "side": "BUY" if t.side == "buy" else "SELL",
            "retail_portfolio_id": self._portfolio(acct),
            "cursor": str(t.id),
        }
        return json.dumps(d, separators=(",", ":")).encode()

    def _fills_index(self, acct: SimAccount, product: str | None) -> _FillIndex:
        with self._lock:
            key = id(acct.trades)
            cached = self._fill_cache.get(key)
            if cached is None or cached[0] != acct.version:
                with acct.lock:
                    version = acct.version
                    trades = list(acct.trades)
                rows = [(t.id, t.time, self._fill_frag(acct, t), t.symbol) for t in trades]
                per: dict[str | None, _FillIndex] = {None: _FillIndex([r[:3] for r in rows])}
                by_pid: dict[str, list] = {}
                for r in rows:
                    by_pid.setdefault(r[3].replace("/", "-"), []).append(r[:3])
                for pid, lst in by_pid.items():
                    per[pid] = _FillIndex(lst)
                cached = self._fill_cache[key] = (version, per)
            return cached[1].get(product) or _FillIndex([])

    def warm(self) -> None:
        for acct in list(self.ds.accounts.values()):
            if acct.exchange == "coinbase":
                self._fills_index(acct, None)

    def fills(self, req: Request) -> Response:
        acct: SimAccount = req.account  # type: ignore[attr-defined]
        pids = req.args("product_ids") or req.args("product_id")
        limit = max(1, min(_int(req, "limit", 100), 1000))
        start = req.arg("start_sequence_timestamp")
        end = req.arg("end_sequence_timestamp")
        order_id = req.arg("order_id")
        try:
            start_ms = parse_iso(start) if start else None
            end_ms = parse_iso(end) if end else None
        except ValueError:
            raise _invalid("invalid sequence timestamp") from None
        cursor = req.arg("cursor")
        if len(pids) > 1 or order_id:
            # rare: merge/filter without the index fast path
            wanted = {p.upper() for p in pids}
            frags = []
            idx = self._fills_index(acct, None)
            for k, frag in enumerate(idx.frags):
                d = json.loads(frag)
                if wanted and d["product_id"] not in wanted:
                    continue
                if order_id and d["order_id"] != order_id:
                    continue
                if start_ms is not None and idx.times_desc[k] < start_ms:
                    continue
                if end_ms is not None and idx.times_desc[k] >= end_ms:
                    continue
                if cursor and -idx.neg_seq[k] >= int(cursor):
                    continue
                frags.append((-idx.neg_seq[k], frag))
            page = frags[:limit]
            nxt = str(page[-1][0]) if len(frags) > limit else ""
            body = b'{"fills":[' + b",".join(f for _, f in page) + b'],"cursor":"' + nxt.encode()
            return Response(200, body + b'"}')
        idx = self._fills_index(acct, pids[0].upper() if pids else None)
        n = len(idx.frags)
        lo = 0
        if cursor:
            try:
                lo = bisect.bisect_right(idx.neg_seq, -int(cursor))
            except ValueError:
                raise _invalid("invalid cursor") from None
        if end_ms is not None:
            # times_desc is descending: skip the fills at or after end
            k = _first_desc_below(idx.times_desc, end_ms)
            lo = max(lo, k)
        hi = n
        if start_ms is not None:
            hi = _first_desc_below(idx.times_desc, start_ms)
        j = min(hi, lo + limit)
        nxt = ""
        if j < hi and j > lo:
            nxt = str(-idx.neg_seq[j - 1])
        body = b'{"fills":[' + b",".join(idx.frags[lo:j]) + b'],"cursor":"' + nxt.encode() + b'"}'
        return Response(200, body)

    # ---- private v2 ---------------------------------------------------------------------

    def user(self, req: Request) -> Response:
        acct: SimAccount = req.account  # type: ignore[attr-defined]
        return json_response(
            {
                "data": {
                    "id": sim_uuid("cb-user", acct.uid),
                    "name": "Sim User",
                    "username": None,
                    "native_currency": "USD",
                    "resource": "user",
                    "resource_path": "/v2/user",
                }
            }
        )

    def _v2_account(self, acct: SimAccount, cur: str, free: Decimal, hold: Decimal) -> dict:
        aid = self._account_id(acct, cur)
        fiat = cur in FIAT
        created = iso_seconds(acct.created_ms)
        currency: dict[str, object]
        if fiat:
            currency = {
                "code": cur,
                "name": CURRENCY_NAMES.get(cur, cur),
                "color": "#0066cf",
                "sort_index": 0,
                "exponent": 2,
                "type": "fiat",
            }
        else:
            currency = {
                "asset_id": sim_uuid("asset", cur),
                "code": cur,
                "name": CURRENCY_NAMES.get(cur, cur),
                "color": "#000000",
                "exponent": 8,
                "slug": CURRENCY_NAMES.get(cur, cur).lower(),
                "type": "crypto",
                "rewards": None,
            }
        return {
            "id": aid,
            "name": f"{cur} Wallet",
            "primary": True,
            "type": "fiat" if fiat else "wallet",
            "balance": {"amount": plain(free + hold), "currency": cur},
            "created_at": created,
            "updated_at": created,
            "resource": "account",
            "resource_path": f"/v2/accounts/{aid}",
            "currency": currency,
            "allow_deposits": True,
            "allow_withdrawals": True,
        }

    def _v2_page(self, req: Request, items: list[dict], base_path: str) -> Response:
        limit = max(1, min(_int(req, "limit", 25), 100))
        order = req.arg("order") or "desc"
        if order == "asc":
            items = list(reversed(items))
        ids = [i["id"] for i in items]
        start = 0
        sa = req.arg("starting_after")
        eb = req.arg("ending_before")
        if sa:
            if sa not in ids:
                raise _not_found_v2()
            start = ids.index(sa) + 1
        end = len(items)
        if eb:
            if eb not in ids:
                raise _not_found_v2()
            end = ids.index(eb)
            start = max(start, end - limit) if not sa else start
        page = items[start : min(end, start + limit)]
        more = start + limit < end
        nxt = page[-1]["id"] if (more and page) else None
        return json_response(
            {
                "pagination": {
                    "ending_before": eb,
                    "starting_after": sa,
                    "previous_ending_before": page[0]["id"] if page and start > 0 else None,
                    "next_starting_after": nxt,
                    "limit": limit,
                    "order": order,
                    "previous_uri": None,
                    "next_uri": (
                        f"{base_path}?limit={limit}&order={order}&starting_after={nxt}"
                        if nxt
                        else None
                    ),
                },
                "data": page,
            }
        )

    def accounts_v2(self, req: Request) -> Response:
        acct: SimAccount = req.account  # type: ignore[attr-defined]
        items = [self._v2_account(acct, c, f, h) for c, f, h in self._balances(acct)]
        return self._v2_page(req, items, "/v2/accounts")

    def _find_currency(self, acct: SimAccount, account_id: str) -> str:
        for c, _f, _h in self._balances(acct):
            if self._account_id(acct, c) == account_id:
                return c
        raise _not_found_v2()

    def account_v2(self, req: Request, account_id: str) -> Response:
        acct: SimAccount = req.account  # type: ignore[attr-defined]
        cur = self._find_currency(acct, account_id)
        f, h = acct.balances[cur]
        return json_response({"data": self._v2_account(acct, cur, f, h)})

    def _ledger(self, acct: SimAccount) -> dict[str, list[dict]]:
        """v2 transactions per currency, newest first."""
        with self._lock, acct.lock:
            key = id(acct.trades)
            hit = self._tx_cache.get(key)
            if hit is not None and hit[0] == acct.version:
                return hit[1]
            out: dict[str, list[tuple[int, dict]]] = {}

            def add(cur: str, t: int, d: dict) -> None:
                aid = self._account_id(acct, cur)
                d["resource"] = "transaction"
                d["resource_path"] = f"/v2/accounts/{aid}/transactions/{d['id']}"
                d["created_at"] = iso_seconds(t)
                d["updated_at"] = iso_seconds(t)
                out.setdefault(cur, []).append((t, d))

            def money(amount: Decimal, cur: str) -> dict:
                return {"amount": plain(amount), "currency": cur}

            def native(amount: Decimal, cur: str, t: int) -> dict:
                usd = self._usd_value(cur, amount, t).quantize(Decimal("0.01"))
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
            result = {
                cur: [d for _t, d in sorted(rows, key=lambda r: (r[0], r[1]["id"]), reverse=True)]
                for cur, rows in out.items()
            }
            self._tx_cache[key] = (acct.version, result)
            return result

    def transactions(self, req: Request, account_id: str) -> Response:
        acct: SimAccount = req.account  # type: ignore[attr-defined]
        cur = self._find_currency(acct, account_id)
        items = self._ledger(acct).get(cur, [])
        return self._v2_page(req, items, f"/v2/accounts/{account_id}/transactions")

    def _fiat_moves(self, req: Request, account_id: str, kind: str) -> Response:
        acct: SimAccount = req.account  # type: ignore[attr-defined]
        cur = self._find_currency(acct, account_id)
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
        return self._v2_page(req, rows, f"/v2/accounts/{account_id}/{kind}s")

    def fiat_deposits(self, req: Request, account_id: str) -> Response:
        return self._fiat_moves(req, account_id, "deposit")

    def fiat_withdrawals(self, req: Request, account_id: str) -> Response:
        return self._fiat_moves(req, account_id, "withdrawal")


def _first_desc_below(desc: list[int], bound: int) -> int:
    """Index of the first element < bound in a descending list (len if none)."""
    lo, hi = 0, len(desc)
    while lo < hi:
        mid = (lo + hi) // 2
        if desc[mid] >= bound:
            lo = mid + 1
        else:
            hi = mid
    return lo
