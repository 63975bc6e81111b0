"""Outgoing email: SMTP when `SMTP_URL` is set, else a `.eml` file in the data dir's outbox.

SMTP_URL forms: `smtp://user:pass@host:port` (plain, port 25 by default),
`smtps://...` (implicit TLS, port 465), `smtp://...?starttls=1` (upgrade, port 587 by default).
User and password are URL-decoded (`%40` for `@`). Errors propagate: the caller (an RQ job with
`Retry`) decides whether to try again.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from exstrat_app.infra.db.types import utcnow
from exstrat_app.settings import Settings, get_settings

SMTP_TIMEOUT_SECONDS = 20
_TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    username: str | None
    password: str | None
    implicit_tls: bool
    starttls: bool


def parse_smtp_url(url: str) -> SmtpConfig:
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("SMTP_URL must look like smtp://user:pass@host:port or smtps://...")
    query = parse_qs(parts.query)
    starttls = query.get("starttls", ["0"])[0].lower() in _TRUE
    implicit = parts.scheme == "smtps"
    default_port = 465 if implicit else (587 if starttls else 25)
    return SmtpConfig(
        host=parts.hostname,
        port=parts.port or default_port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        implicit_tls=implicit,
        starttls=starttls,
    )


def build_message(*, to: str, subject: str, text: str, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="exstrat.local")
    message.set_content(text)
    return message


def send_email(*, to: str, subject: str, text: str, settings: Settings | None = None) -> str:
    """Send one plain-text email; returns "smtp" or the path of the .eml written."""
    settings = settings or get_settings()
    message = build_message(to=to, subject=subject, text=text, sender=settings.email_from)
    if settings.smtp_url:
        _send_smtp(parse_smtp_url(settings.smtp_url), message)
        return "smtp"
    return str(write_outbox(message, settings.outbox_dir))


def _send_smtp(config: SmtpConfig, message: EmailMessage) -> None:
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if config.implicit_tls:
        smtp = smtplib.SMTP_SSL(
            config.host, config.port, timeout=SMTP_TIMEOUT_SECONDS, context=context
        )
    else:
        smtp = smtplib.SMTP(config.host, config.port, timeout=SMTP_TIMEOUT_SECONDS)
    with smtp:
        if config.starttls:
            smtp.starttls(context=context)
        if config.username:
            smtp.login(config.username, config.password or "")
        smtp.send_message(message)


def write_outbox(message: EmailMessage, outbox: Path) -> Path:
    """Write atomically (temp file + rename) so a reader never sees half a message."""
    outbox.mkdir(mode=0o700, parents=True, exist_ok=True)
    name = f"{utcnow().strftime('%Y%m%dT%H%M%S%fZ')}-{uuid.uuid4().hex[:8]}.eml"
    final = outbox / name
    temp = outbox / f".{name}.tmp"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # the owner's only
    with os.fdopen(fd, "wb") as handle:
        handle.write(message.as_bytes())
    os.replace(temp, final)
    return final
