"""Settings from the environment (SPEC §3): every variable the product reads is a field here.

Every default makes `make run` work on a fresh laptop: SQLite and embedded Redis
under the data dir, secrets generated once into the data dir (with a warning).
`up` still *writes* variables into its children's environment; they read them back here.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger(__name__)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", populate_by_name=True)

    data_dir: Path = Field(default=Path("./data"), alias="EXSTRAT_DATA_DIR")
    database_url: str | None = Field(default=None, alias="DATABASE_URL")
    redis_url: str | None = Field(default=None, alias="REDIS_URL")
    jwt_secret: str | None = Field(default=None, alias="JWT_SECRET")
    jwt_private_key: str | None = Field(default=None, alias="JWT_PRIVATE_KEY")
    jwt_ttl_seconds: int = Field(default=7 * 24 * 3600, alias="EXSTRAT_SESSION_TTL_SECONDS")
    # Current key first; older keys (comma separated) stay accepted for decryption
    # until `python -m exstrat_app rotate-keys` has re-encrypted every row.
    encryption_key: str | None = Field(default=None, alias="ENCRYPTION_KEY")
    encryption_old_keys: str = Field(default="", alias="ENCRYPTION_OLD_KEYS")
    price_provider: str = Field(default="binance", alias="PRICE_PROVIDER")
    price_cache_seconds: int = Field(default=30, alias="PRICE_CACHE_SECONDS")
    price_poll_seconds: int = Field(default=15, alias="PRICE_POLL_SECONDS")
    resync_seconds: int = Field(default=3600, alias="EXSTRAT_RESYNC_SECONDS")
    binance_url: str | None = Field(default=None, alias="EXSTRAT_BINANCE_URL")
    coinbase_url: str | None = Field(default=None, alias="EXSTRAT_COINBASE_URL")
    # Binance's public market streams for the price process (`wss://stream.binance.com:9443`
    # by default; a simulator's `ws://...` with EXSTRAT_BINANCE_URL, else no stream runs).
    binance_ws_url: str | None = Field(default=None, alias="EXSTRAT_BINANCE_WS_URL")
    # Binance's REQUEST_WEIGHT per minute for this IP (6000): every process shares it through
    # the throttle. Lower it when other tools use the same IP; a local stand-in may grant more.
    binance_ip_weight: int = Field(default=6000, ge=1, alias="EXSTRAT_BINANCE_IP_WEIGHT")
    smtp_url: str | None = Field(default=None, alias="SMTP_URL")
    email_from: str = Field(default="exstrat <alerts@exstrat.local>", alias="EMAIL_FROM")
    # Sign-up sends a confirmation link before the account may sign in (no enumeration at
    # sign-up, issue 12). Off: new accounts sign in at once, and /signup says when an email
    # is taken. Without SMTP_URL the links are .eml files in the data dir's outbox.
    require_email_confirmation: bool = Field(
        default=True, alias="EXSTRAT_REQUIRE_EMAIL_CONFIRMATION"
    )
    secure_cookies: bool = Field(default=False, alias="EXSTRAT_SECURE_COOKIES")
    public_url: str = Field(default="http://localhost:3000", alias="EXSTRAT_PUBLIC_URL")
    # Host names accepted in the Host header besides EXSTRAT_PUBLIC_URL's (comma separated),
    # e.g. an internal health-check name; every other Host is refused with 400.
    allowed_hosts: str = Field(default="", alias="EXSTRAT_ALLOWED_HOSTS")
    # Destinations users supply (channels, push endpoints) that may be inside the network:
    # host names, addresses or CIDR networks, comma separated (docs/outbound.md). Empty: only
    # public addresses are ever reached.
    outbound_allow: str = Field(default="", alias="EXSTRAT_OUTBOUND_ALLOW")
    # How far back deposits/withdrawals are walked (Binance answers 90 days per call).
    history_start: str = Field(default="2017-07-01", alias="EXSTRAT_HISTORY_START")
    # Sign-in, sign-up and reset attempts per client IP (each counted apart), as `limits`
    # reads it: raise it when many people share one address (an office behind NAT).
    auth_per_ip: str = Field(default="20/5minute", alias="EXSTRAT_AUTH_PER_IP")
    # "off" (or "none", "0", empty) disables the per-user limit on /api.
    api_rate_limit: str = Field(default="100/5minute", alias="EXSTRAT_API_RATE_LIMIT")
    # Reverse proxies (each appending to X-Forwarded-For) in front of the app. 0: the TCP
    # peer is the client. Behind one proxy (Render, Railway, nginx): 1.
    proxy_hops: int = Field(default=0, alias="EXSTRAT_PROXY_HOPS")
    log_level: str = Field(default="INFO", alias="EXSTRAT_LOG_LEVEL")
    port: int = Field(default=3000, alias="EXSTRAT_PORT")
    # The address `up` listens on: loopback unless told otherwise ("0.0.0.0" in a container
    # behind its platform's proxy).
    host: str = Field(default="127.0.0.1", alias="EXSTRAT_HOST")
    # What one person may create (issue 12): strategies (each at most domain.ladder.MAX_STEPS
    # steps) and exchange accounts.
    max_strategies_per_user: int = Field(default=200, alias="EXSTRAT_MAX_STRATEGIES")
    max_accounts_per_user: int = Field(default=20, alias="EXSTRAT_MAX_ACCOUNTS")
    # Demo mode: `up --demo` sets EXSTRAT_DEMO=1 (only "1" counts) and the sim's port for its
    # children; walk period and drift go verbatim onto the simulator's command line.
    demo: str = Field(default="", alias="EXSTRAT_DEMO")
    demo_sim_port: int | None = Field(default=None, alias="EXSTRAT_DEMO_SIM_PORT")
    demo_walk_seconds: str = Field(default="2", alias="EXSTRAT_DEMO_WALK_SECONDS")
    demo_drift: str = Field(default="0.0003", alias="EXSTRAT_DEMO_DRIFT")  # +0.9 %/min

    @field_validator("proxy_hops", mode="before")
    @classmethod
    def _lenient_hops(cls, value: Any) -> int:
        # Unreadable or negative: trust no proxy (the safe reading) rather than refuse to start.
        try:
            return max(0, int(value))
        except (TypeError, ValueError):
            return 0

    @field_validator("demo_sim_port", mode="before")
    @classmethod
    def _empty_port_is_unset(cls, value: Any) -> Any:
        return None if value == "" else value

    @property
    def demo_enabled(self) -> bool:
        return self.demo == "1"

    def is_set(self, field: str) -> bool:
        """Whether the environment gave this field (for defaults that differ per caller)."""
        return field in self.model_fields_set

    def ensure_data_dir(self) -> Path:
        """The data dir, created the owner's only (0700): keys, database, outbox, states."""
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        return self.data_dir

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return normalise_database_url(self.database_url)
        return f"sqlite:///{(self.ensure_data_dir() / 'exstrat.db').resolve()}"

    @property
    def outbox_dir(self) -> Path:
        path = self.ensure_data_dir() / "outbox"
        path.mkdir(mode=0o700, exist_ok=True)
        return path

    def jwt_signing_secret(self) -> str:
        return self.jwt_secret or _generated_secret(self.ensure_data_dir(), "jwt_secret", 48)

    def encryption_keys(self) -> list[bytes]:
        """The current AES-256 key first, then the old ones still accepted."""
        current = self.encryption_key or _generated_secret(
            self.ensure_data_dir(), "encryption_key", 32
        )
        keys = [parse_key(current)]
        keys += [parse_key(k) for k in self.encryption_old_keys.split(",") if k.strip()]
        return keys


def normalise_database_url(url: str) -> str:
    # PaaS hosts hand out postgres:// URLs; SQLAlchemy wants a driver name.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def parse_key(text: str) -> bytes:
    """A 32-byte key given as 64 hex characters or base64."""
    text = text.strip()
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("ENCRYPTION_KEY must be 32 bytes in hex or base64") from exc
    if len(raw) != 32:
        raise ValueError("ENCRYPTION_KEY must be 32 bytes in hex or base64")
    return raw


def _generated_secret(data_dir: Path, name: str, nbytes: int) -> str:
    """Generate a secret once and keep it in the data dir (0600)."""
    path = data_dir / f".{name}"
    if path.exists():
        return path.read_text().strip()
    value = secrets.token_hex(nbytes)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process of `up` won the race: use its secret
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    log.warning("generated %s into %s: set it in the environment for production", name, path)
    return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
