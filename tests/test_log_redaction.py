"""One scrub for every log line (docs/logging.md): at DEBUG, with every library's logger
talking, no API key, secret, signature, channel token or push capability reaches the log,
and the lines still say what happened (method, host, status)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from exstrat_app.infra.logging import RedactingFilter, redact_text
from exstrat_app.models import ExchangeAccount, User
from simexchange import BINANCE_READONLY_KEY, BINANCE_READONLY_SECRET, SimExchange, small_dataset
from tests.alerts.channel_servers import LocalServer

ROOT = Path(__file__).resolve().parent.parent
HOOK_TOKEN = "hook-tok-5f4e3d2c1b0a"
PUSH_CAPABILITY = "cap-0a1b2c3d4e5f6789"
SIGNATURE = re.compile(r"signature=([0-9a-f]{16,})")


def _run_probe(user_id: str, sim_url: str, hook: LocalServer, push: LocalServer) -> Any:
    env = {
        **os.environ,
        "EXSTRAT_BINANCE_URL": sim_url,
        "EXSTRAT_COINBASE_URL": sim_url,
        "EXSTRAT_HISTORY_START": "2024-01-01",
        "EXSTRAT_LOG_LEVEL": "DEBUG",
        # The outbound guard refuses loopback addresses unless allowed.
        "EXSTRAT_OUTBOUND_ALLOW": "127.0.0.1",
    }
    apprise_url = f"json://127.0.0.1:{hook.port}/{HOOK_TOKEN}"
    push_url = push.url(f"/push/{PUSH_CAPABILITY}")
    return subprocess.run(
        [sys.executable, "-m", "tests.log_probe", user_id, apprise_url, push_url],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=300,
    )  # fmt: skip


def _events(stderr: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


def test_debug_logs_of_a_sync_and_channel_sends_carry_no_secret(db: Any, redis: Any) -> None:
    user = User(email="log-redaction@example.com", password_hash="not-a-real-hash")
    db.add(user)
    db.commit()
    sim = SimExchange(small_dataset())
    try:
        with LocalServer() as hook, LocalServer() as push:
            probe = _run_probe(user.id, sim.start(), hook, push)
            assert probe.returncode == 0, probe.stderr[-3000:]
            assert [r.path for r in hook.received] == [f"/{HOOK_TOKEN}"]
            assert [r.path for r in push.received] == [f"/push/{PUSH_CAPABILITY}"]
        signatures = {m for r in sim.requests_log() for m in SIGNATURE.findall(r)}
    finally:
        sim.stop()
    account = db.get(ExchangeAccount, probe.stdout.strip())
    assert account is not None and account.status == "connected"

    output = probe.stdout + probe.stderr
    assert signatures, "the sync made no signed request"
    for secret in (BINANCE_READONLY_KEY, BINANCE_READONLY_SECRET, HOOK_TOKEN, PUSH_CAPABILITY):
        assert secret not in output, secret
    for signature in signatures:
        assert signature not in output
    assert not SIGNATURE.search(output)
    assert "eyJhbGciOiJFUzI1NiJ9" not in output  # the push request's VAPID JWT

    events = _events(probe.stderr)
    lines = [e["event"] for e in events]
    loggers = {e.get("logger") for e in events}
    # Every library spoke at DEBUG, through our handler.
    assert {"urllib3.connectionpool", "ccxt.base.exchange", "apprise", "rq.worker"} <= loggers
    assert any(line.startswith("Starting new HTTP connection") for line in lines)
    # urllib3's request lines keep method and status; a webhook's path is gone...
    assert any(re.search(r'"POST /\[redacted\] HTTP/1\.1" 200', line) for line in lines)
    # ...an exchange's private endpoint keeps its path but not its signed query...
    assert any('"GET /api/v3/account?[redacted] HTTP/1.1" 200' in line for line in lines)
    # ...and ccxt's request dumps keep the header's name, not its value.
    assert any("'X-MBX-APIKEY': '[redacted]'" in line for line in lines)
    # A public market endpoint is kept whole.
    assert any("/api/v3/exchangeInfo, Request:" in line for line in lines)
    assert any("json://[redacted]" in line for line in lines)
    # Our own lines: %-args, a structlog field and a traceback, all scrubbed.
    failed = next(e for e in events if e["event"].startswith("send failed"))
    assert failed["event"] == "send failed, secret=[redacted]"
    assert "RuntimeError: refused http://127.0.0.1" in failed["exception"]
    assert "X-MBX-APIKEY: [redacted]" in failed["exception"]
    sent = next(e for e in events if e["event"] == "channel sent")
    assert sent["target"] == "json://[redacted]"


@pytest.mark.parametrize(
    ("line", "kept", "gone"),
    [
        (
            "POST https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/send",
            "POST https://api.telegram.org/[redacted]",
            "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
        ),
        (
            "https://discord.com/api/webhooks/1234/aBcDeF-token",
            "https://discord.com/[redacted]",
            "aBcDeF-token",
        ),
        ("https://hooks.slack.com/services/T0/B0/xyzSecret", "hooks.slack.com/", "xyzSecret"),
        ("tgram://123456:ABC-DEF/chat", "tgram://[redacted]", "ABC-DEF"),
        ("json://host/path?x=y", "json://[redacted]", "path"),
        ("https://user:pw@example.com/a", "https://example.com/[redacted]", "pw"),
        (
            "GET /api/v3/klines?symbol=ETHUSDT&interval=1d&signature=ab12",
            "GET /api/v3/klines?symbol=ETHUSDT&interval=1d&signature=[redacted]",
            "ab12",
        ),
        ("{'CB-ACCESS-KEY': 'k1', 'CB-ACCESS-SIGN': 's1'}", "'CB-ACCESS-SIGN': '[redacted]'", "s1"),
        ("CB-ACCESS-PASSPHRASE: pass1", "CB-ACCESS-PASSPHRASE: [redacted]", "pass1"),
        ("Authorization: Bearer abc.def", "Authorization: [redacted]", "abc.def"),
        ("token sent as bearer abcdef", "bearer [redacted]", "abcdef"),
        ('{"listenKey": "lk-1"}', '"listenKey": "[redacted]"', "lk-1"),
        ("apiKey=v2&api_key=v3&key=v4&secret=v5&token=v6&sig=v7&n=1", "&n=1", "v"),
        ("amount: -12.5 at 2100", "amount: -12.5 at 2100", "[redacted]"),
        ("App running at: http://localhost:3000/", "http://localhost:3000/", "[redacted]"),
        ('"GET /confirm?token=t1 HTTP/1.1" 200', '"GET /[redacted] HTTP/1.1" 200', "t1"),
    ],
)
def test_each_rule_keeps_what_happened_and_drops_the_secret(
    line: str, kept: str, gone: str
) -> None:
    scrubbed = redact_text(line)
    assert kept in scrubbed and gone not in scrubbed, scrubbed
    assert redact_text(scrubbed) == scrubbed  # scrubbing twice changes nothing


def test_a_record_made_before_the_factory_is_scrubbed_by_the_filter() -> None:
    import logging

    try:
        raise ValueError("to https://hooks.slack.com/services/T0/B0/tracebackSecret")
    except ValueError:
        exc_info = sys.exc_info()
    record = logging.LogRecord(
        "urllib3", logging.DEBUG, __file__, 1, "%s %r", ("X-MBX-APIKEY: k9", {"sig": "s9"}),
        exc_info,
    )  # fmt: skip
    assert RedactingFilter().filter(record)
    assert record.getMessage() == "X-MBX-APIKEY: [redacted] {'sig': '[redacted]'}"
    assert record.exc_text and "tracebackSecret" not in record.exc_text
    assert "hooks.slack.com/" in record.exc_text
    # A handler that formats the exception itself (Reflex's console) gets the scrubbed text.
    assert record.exc_info is not None
    shown = logging.Formatter().formatException(record.exc_info)
    assert "tracebackSecret" not in shown and "ValueError: to https://hooks.slack.com/" in shown


def test_a_handler_that_is_not_ours_prints_scrubbed_records_too() -> None:
    """rq, Reflex or a library may attach their own handler: the records they get were
    scrubbed where they were made (the record factory), traceback included."""
    import io
    import logging

    from exstrat_app.infra.logging import install_redaction, uninstall_redaction

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    logger = logging.getLogger("tests.log_redaction.foreign")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    install_redaction()
    try:
        logger.debug("GET %s %r", "https://hooks.slack.com/services/T0/B0/s1", {"apiKey": "s2"})
        try:
            raise OSError("discord://1234/s3 refused")
        except OSError:
            logger.exception("send failed")
    finally:
        uninstall_redaction()
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
    text = stream.getvalue()
    assert "https://hooks.slack.com/[redacted] {'apiKey': '[redacted]'}" in text
    assert "OSError: discord://[redacted] refused" in text
    assert not any(secret in text for secret in ("s1", "s2", "s3")), text


def test_reflex_naming_a_users_feed_token_logs_no_token() -> None:
    """Reflex warns "Attempting to send delta to disconnected client 'feed-…'" each time the
    relay applies an alert to a user's shared feed (it never has a socket of its own). The
    line is kept, the token (an HMAC naming the user's feed) is not."""
    import io
    import logging

    from exstrat_app.infra.logging import install_redaction, uninstall_redaction
    from exstrat_app.state.feed import feed_token

    token = feed_token("a-user-id")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    logger = logging.getLogger("reflex.app")  # the logger of Reflex's `emit_update`
    logger.addHandler(handler)
    install_redaction()
    try:
        # Formatted as Reflex formats it (an f-string, no %-args).
        logger.warning(f"Attempting to send delta to disconnected client {token!r}")
    finally:
        uninstall_redaction()
        logger.removeHandler(handler)
    text = stream.getvalue()
    print(f"\nlogged: {text.strip()}")
    assert text == (
        "reflex.app WARNING Attempting to send delta to disconnected client 'feed-[redacted]'\n"
    )
    assert token[len("feed-") :] not in text
    # A record that reached a handler before the factory was installed: the filter's turn.
    record = logging.LogRecord(
        "reflex.app", logging.WARNING, __file__, 1, "delta for %s", (f"{token}_state.feed",), None
    )
    assert RedactingFilter().filter(record)
    assert record.getMessage() == "delta for feed-[redacted]_state.feed"
