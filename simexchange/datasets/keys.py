"""The API keys every dataset shares, so a demo user can paste them, and what each may do.

Keys of one exchange account differ only by their permissions: the read-only key is the one
the app must accept; the trading/withdraw/transfer keys must be refused by it.
"""

from __future__ import annotations

#: Binance key with reading only (enableReading True, everything else False).
BINANCE_READONLY_KEY = "sim-binance-readonly"
BINANCE_READONLY_SECRET = "sim-binance-secret"  # noqa: S105 (test-only key)
#: Same Binance account, key with spot trading enabled (must be refused by the app).
BINANCE_TRADING_KEY = "sim-binance-trading"
BINANCE_TRADING_SECRET = "sim-binance-trading-secret"  # noqa: S105 (test-only key)
#: Same Binance account, key with withdrawals enabled (must be refused by the app).
BINANCE_WITHDRAW_KEY = "sim-binance-withdraw"
BINANCE_WITHDRAW_SECRET = "sim-binance-withdraw-secret"  # noqa: S105 (test-only key)

#: Coinbase CDP key (ES256): ``apiKey`` is the key name, ``secret`` the EC P-256 PEM.
#: Test-only key pair generated for the simulator; it protects nothing.
COINBASE_READONLY_KEY = "organizations/sim-org/apiKeys/sim-readonly"
COINBASE_READONLY_SECRET = "\n".join(
    [
        "-----BEGIN EC PRIVATE KEY-----",
        "MHcCAQEEIHqnaVzPD/y9AaXsQWtvmCst5dHcLaw28US9zscHNfgKoAoGCCqGSM49",
        "AwEHoUQDQgAEKf2YWbFMn37ndvFxRgsWqMunpE5lHPGfoZ1c4uuhl6PFrUMX0fWv",
        "nnWl1PwGEZsVi82u7Lwu2ZvFGw9h+gRKnw==",
        "-----END EC PRIVATE KEY-----",
        "",
    ]
)
#: Same Coinbase portfolio, key with can_trade=True (must be refused by the app).
COINBASE_TRADING_KEY = "organizations/sim-org/apiKeys/sim-trading"
COINBASE_TRADING_SECRET = "\n".join(
    [
        "-----BEGIN EC PRIVATE KEY-----",
        "MHcCAQEEILLQ27IdZKdTNIU6XDFL2itstCU6jLnkC/KecISb/eOtoAoGCCqGSM49",
        "AwEHoUQDQgAErwpDO8PHnMt6H/GZKiJIbsK+6TYXWOTlv0wb3rPyAMnD2LT5HDSQ",
        "n//sSwjcVKQS+viz6Dq7sM6IkIHbt8o3iw==",
        "-----END EC PRIVATE KEY-----",
        "",
    ]
)
#: Same Coinbase portfolio, key with can_transfer=True (must be refused by the app).
COINBASE_TRANSFER_KEY = "organizations/sim-org/apiKeys/sim-transfer"
COINBASE_TRANSFER_SECRET = "\n".join(
    [
        "-----BEGIN EC PRIVATE KEY-----",
        "MHcCAQEEIIwyJLaYwPU/WCcRManse5XG4+gAftVlieF0dlB+T9caoAoGCCqGSM49",
        "AwEHoUQDQgAEvqig8pwMn4L+kjmCmnMPVcJgxM9Cw2zEfOPRAwmbOhjHOB12rN+G",
        "wZNdSnZTIWDeX/fcF5P6xZsldJVcs9bN1Q==",
        "-----END EC PRIVATE KEY-----",
        "",
    ]
)
#: Same Coinbase portfolio, Ed25519 CDP key (88-char base64 secret, ccxt signs EdDSA JWTs).
COINBASE_ED25519_KEY = "5e1d3c2b-0a9f-4e8d-b7c6-sim-ed25519"
COINBASE_ED25519_SECRET = "".join(  # seed (32 bytes) + public key (32 bytes), base64
    ["Cj/a1qTguXeVt9M47k1mYzoUYcrdQWbg9Elvitsso0obrd0ggis/", "VN3WuytZsLffmx7MLVsfpayReXBk7VPBkg=="]
)

#: What the read-only key may do, in the shape of Binance's
#: ``GET /sapi/v1/account/apiRestrictions`` (Binance API docs, "Get API Key Permission").
BINANCE_READONLY_PERMISSIONS = {
    "ipRestrict": False,
    "enableReading": True,
    "enableSpotAndMarginTrading": False,
    "enableWithdrawals": False,
    "enableInternalTransfer": False,
    "enableMargin": False,
    "enableFutures": False,
    "permitsUniversalTransfer": False,
    "enableVanillaOptions": False,
    "enableFixApiTrade": False,
    "enableFixReadOnly": False,
    "enablePortfolioMarginTrading": False,
}
#: The read-only key's ``GET /api/v3/brokerage/key_permissions`` flags (Coinbase Advanced
#: Trade API reference, "Get API Key Permissions").
COINBASE_READONLY_PERMISSIONS = {"can_view": True, "can_trade": False, "can_transfer": False}
