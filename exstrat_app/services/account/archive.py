"""All of a person's data as one zip (docs/account-data.md): a JSON file per table of theirs
(`data_map.RULES`: the columns allowed out, never a secret) and the CSV files the portfolio
already offers (`portfolio.export`), with a README.

The zip is written table by table, rows read in batches (`BATCH_ROWS`), into a spooled
temporary file: in memory up to `SPOOL_BYTES`, on disk beyond, so a big account is never
held in memory whole, and the whole file is ready before the first byte is answered (a
failure is an error answer, not a truncated download). `Archive.chunks` then streams it.
"""

from __future__ import annotations

import json
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from sqlalchemy import Table, select
from sqlmodel import Session

from exstrat_app.domain.money import fmt
from exstrat_app.i18n import N_, formats, translate
from exstrat_app.infra.db.types import utcnow
from exstrat_app.models import User
from exstrat_app.services.account.data_map import (
    USERS,
    TableRule,
    exported_tables,
    owned,
    table,
)
from exstrat_app.services.errors import NotFound
from exstrat_app.services.portfolio import export as csv_export

MEDIA_TYPE = "application/zip"
SPOOL_BYTES = 8 * 1024 * 1024
BATCH_ROWS = 500
CHUNK_BYTES = 64 * 1024
# Rows are written oldest first (like the CSVs), by the first of these a table has.
TIME_COLUMNS = ("ts", "day", "at", "created_at", "fetched_at", "updated_at")
# The archive's README, in the language of the request that builds it.
README = N_("""\
Your exstrat data, as it was stored on {day} (UTC).

One JSON file per table of your data: user.json is one object, every other file a list of
rows, one per line. Column names are the database's. Amounts are strings holding the exact
decimal (no rounding, no exponent), times ISO 8601 in UTC, days YYYY-MM-DD.

Left out on purpose: your password's hash, the two-factor seed and recovery codes, every
exchange API key and secret, the secret part of your alert channels, the digests of your
API tokens and of emailed links, and your sign-in sessions.

csv/ holds the files the portfolio pages download (trades, transfers, positions, value
history), byte for byte; their columns are described in the project's docs/export.md.
""")


@dataclass(frozen=True)
class Archive:
    """A finished zip: its download name and the spooled file, read once by `chunks`."""

    filename: str
    file: IO[bytes]

    def chunks(self) -> Iterator[bytes]:
        """The zip's bytes in pieces; the spooled file is closed (and deleted) at the end."""
        try:
            self.file.seek(0)
            while chunk := self.file.read(CHUNK_BYTES):
                yield chunk
        finally:
            self.file.close()


def archive_filename(day: date) -> str:
    return f"exstrat-export-{day.isoformat()}.zip"


def build_archive(session: Session, user_id: str, *, day: date | None = None) -> Archive:
    """The user's data as a zip (NotFound if the user is gone)."""
    if session.get(User, user_id) is None:
        raise NotFound(N_("User not found."))
    day = day or utcnow().date()
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - Archive closes it
    try:
        with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("README.txt", translate(README.msgid, day=formats.day(day)))
            for name, rule in exported_tables():
                _write_table(zf, session, name, rule, user_id)
            for kind in csv_export.KINDS:
                zf.writestr(f"csv/{kind}.csv", csv_export.export_csv(session, user_id, kind))
    except BaseException:
        spool.close()
        raise
    return Archive(archive_filename(day), spool)


def json_value(value: object) -> object:
    """A column's value as the export writes it: exact decimal strings, ISO 8601 times."""
    if isinstance(value, Decimal):
        return fmt(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        # Binary columns are sealed secrets: the rules leave them out, this is the backstop.
        raise TypeError("a binary column is never exported")
    return value


def _rows(session: Session, name: str, rule: TableRule, user_id: str) -> Iterator[dict[str, Any]]:
    source = table(name)
    columns = [source.c[c] for c in rule.columns]
    statement = (
        select(*columns)
        .where(owned(name, user_id))
        .order_by(*_order(source))
        .execution_options(yield_per=BATCH_ROWS)
    )
    for row in session.execute(statement).mappings():
        yield {c: json_value(row[c]) for c in rule.columns}


def _order(source: Table) -> list[Any]:
    times = [source.c[name] for name in TIME_COLUMNS if name in source.c][:1]
    return [*times, *source.primary_key.columns]


def _write_table(
    zf: zipfile.ZipFile, session: Session, name: str, rule: TableRule, user_id: str
) -> None:
    with zf.open(rule.file or f"{name}.json", "w") as member:
        if name == USERS:  # the one row: an object, not a list
            for record in _rows(session, name, rule, user_id):
                member.write(_dumps(record, indent=2).encode())
            return
        member.write(b"[")
        for index, record in enumerate(_rows(session, name, rule, user_id)):
            member.write((",\n" if index else "\n").encode() + _dumps(record).encode())
        member.write(b"\n]\n")


def _dumps(record: dict[str, Any], indent: int | None = None) -> str:
    return json.dumps(record, ensure_ascii=False, indent=indent)
