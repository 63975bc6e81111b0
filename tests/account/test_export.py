"""`GET /api/me/export`: every table of the person's data as JSON in a zip, with the CSVs the
pages offer; no secret anywhere in it, nobody else's rows, amounts exact (docs/account-data.md)."""

from __future__ import annotations

import io
import json
import re
import zipfile
from typing import Any

from exstrat_app.services.account import archive
from exstrat_app.services.account.data_map import RULES
from exstrat_app.services.portfolio.export import KINDS
from tests.account.seed import EXACT, fill, row_counts
from tests.alerts.conftest import sign_in


def _export(client: Any) -> tuple[Any, dict[str, bytes]]:
    response = client.get("/api/me/export")
    assert response.status_code == 200, response.text
    with zipfile.ZipFile(io.BytesIO(response.content)) as zf:
        assert zf.testzip() is None
        return response, {name: zf.read(name) for name in zf.namelist()}


def test_the_zip_holds_every_table_of_the_person_and_the_csvs(
    db: Any, box: Any, client: Any, person: Any
) -> None:
    ann = person("ann")
    seeded = fill(db, box, ann)
    fill(db, box, person("bob"))  # someone else, with the same kinds of rows
    sign_in(client, ann.id)

    response, files = _export(client)

    assert response.headers["content-type"] == "application/zip"
    assert re.fullmatch(
        r'attachment; filename="exstrat-export-\d{4}-\d{2}-\d{2}\.zip"',
        response.headers["content-disposition"],
    )
    exported = {rule.file: name for name, rule in RULES.items() if rule.file}
    csvs = {f"csv/{kind}.csv" for kind in KINDS}
    assert set(files) == set(exported) | csvs | {"README.txt"}
    user = json.loads(files["user.json"])
    assert user["id"] == ann.id and user["email"] == ann.email
    assert user["totp_enabled_at"] is not None
    assert not {"password_hash", "totp_secret_enc", "session_kept_jti"} & set(user)
    # Every file has the person's rows, as many as the database holds for them.
    counts = row_counts(db, ann.id)
    for file, table in exported.items():
        if file == "user.json":
            continue
        rows = json.loads(files[file])
        assert len(rows) == counts[table] > 0, file
        assert all(set(r) == set(RULES[table].columns) for r in rows), file
    assert len(json.loads(files["trades.json"])) == 3
    assert len(json.loads(files["strategy_steps.json"])) == 2
    assert [c["label"] for c in json.loads(files["channels.json"])] == ["Webhook"]
    assert set(json.loads(files["channels.json"])[0]) >= {"label", "kind", "hint", "created_at"}
    assert seeded.account_id in files["csv/trades.csv"].decode()


def test_amounts_are_exact_strings_and_times_are_utc(
    db: Any, box: Any, client: Any, person: Any
) -> None:
    ann = person("ann")
    fill(db, box, ann, two_factor=False)
    sign_in(client, ann.id)

    _, files = _export(client)

    trade = json.loads(files["trades.json"])[0]
    assert trade["amount"] == EXACT
    assert trade["ts"].endswith("+00:00")
    assert json.loads(files["execution_settings.json"])[0]["daily_cap"] == "500.25"
    assert json.loads(files["value_history.json"])[0]["day"] == "2025-03-01"
    assert EXACT in files["csv/positions.csv"].decode()


def test_no_secret_and_nobody_elses_rows_are_in_the_zip(
    db: Any, box: Any, client: Any, person: Any
) -> None:
    ann, bob = person("ann"), person("bob")
    seeded = fill(db, box, ann)
    other = fill(db, box, bob)
    sign_in(client, ann.id)

    response, files = _export(client)

    texts = {name: data.decode() for name, data in files.items()}
    for what, secret in seeded.secrets.items():
        assert secret.encode() not in response.content, what
        for name, text in texts.items():
            assert secret not in text, f"{what} in {name}"
    for code in seeded.recovery_codes:
        assert code not in "".join(texts.values())
    for name, text in texts.items():
        assert bob.id not in text and bob.email not in text, name
        assert other.account_id not in text and other.strategy_id not in text, name


def test_the_export_needs_a_session(client: Any) -> None:
    answer = client.get("/api/me/export")
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "unauthorized"


def test_a_person_with_nothing_yet_gets_empty_lists(client: Any, person: Any) -> None:
    ann = person("ann")
    sign_in(client, ann.id)

    _, files = _export(client)

    assert json.loads(files["user.json"])["email"] == ann.email
    assert json.loads(files["trades.json"]) == []
    assert files["csv/trades.csv"].decode().startswith("account_id,exchange,trade_id")


def test_a_big_export_spills_to_disk_and_is_streamed_in_pieces(
    db: Any, box: Any, person: Any, monkeypatch: Any
) -> None:
    """Tiny limits stand for a big account: the rows are fetched a few at a time, the spooled
    file moves to disk, the answer reads it in pieces and closes (deletes) it at the end."""
    monkeypatch.setattr(archive, "SPOOL_BYTES", 512)
    monkeypatch.setattr(archive, "BATCH_ROWS", 2)
    monkeypatch.setattr(archive, "CHUNK_BYTES", 100)
    ann = person("ann")
    fill(db, box, ann)

    built = archive.build_archive(db, ann.id)
    assert built.file._rolled  # on disk, not in memory
    pieces = list(built.chunks())

    assert built.file.closed
    assert len(pieces) > 1 and max(map(len, pieces)) <= 100
    with zipfile.ZipFile(io.BytesIO(b"".join(pieces))) as zf:
        assert len(json.loads(zf.read("trades.json"))) == 3
