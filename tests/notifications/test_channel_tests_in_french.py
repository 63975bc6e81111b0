"""A channel test is sent, and its result written, in the channel owner's language: the
worker that sends it speaks English itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from exstrat_app.models import User
from tests.alerts.channel_servers import LocalServer
from tests.alerts.conftest import run_worker, sign_in

pytestmark = pytest.mark.usefixtures("allow_loopback")

NBSP = "\u00a0"


def _french(db: Any, user: Any) -> None:
    row = db.get(User, user.id)
    row.locale = "fr"
    db.add(row)
    db.commit()


def _test_channel(client: Any, redis: Any, url: str) -> dict[str, Any]:
    answer = client.post("/api/channels", json={"url": url, "label": "hook"})
    assert answer.status_code == 201, answer.text
    channel_id = answer.json()["id"]
    assert client.post(f"/api/channels/{channel_id}/test").status_code == 202
    run_worker(redis, ("notify",))
    [row] = client.get("/api/channels").json()
    return dict(row["test"])


def test_a_test_message_reaches_a_french_owner_in_french(
    db: Any, client: Any, redis: Any, make_user: Callable[..., Any]
) -> None:
    user = make_user("claire@example.com")
    _french(db, user)
    sign_in(client, user.id)
    with LocalServer() as hook:
        test = _test_channel(client, redis, f"json://127.0.0.1:{hook.port}/t")
        [message] = [r.json() for r in hook.received]
    assert (message["title"], message["message"]) == (
        "Test exstrat",
        f"Ce canal fonctionne{NBSP}: les alertes exstrat vous parviendront ici.",
    )
    assert (test["state"], test["message"]) == ("sent", "Le message de test a été remis.")


def test_a_failed_test_says_why_in_french(
    db: Any, client: Any, redis: Any, make_user: Callable[..., Any]
) -> None:
    user = make_user("claire@example.com")
    _french(db, user)
    sign_in(client, user.id)
    with LocalServer(default=500) as hook:
        test = _test_channel(client, redis, f"json://127.0.0.1:{hook.port}/t")
    assert (test["state"], test["message"]) == (
        "failed",
        f"Le test n'a pas abouti{NBSP}: impossible de remettre le message à ce canal.",
    )


def test_a_refused_channel_url_is_explained_in_the_readers_language(
    client: Any, make_user: Callable[..., Any]
) -> None:
    sign_in(client, make_user("claire@example.com").id)
    url = {"url": "json://10.0.0.5/hook"}
    french = client.post("/api/channels", json=url, headers={"Accept-Language": "fr-FR"})
    assert french.status_code == 422
    assert french.json()["error"]["message"] == (
        f"Cette URL de canal ne peut pas être utilisée{NBSP}: la destination de ce canal n'est "
        f"pas autorisée{NBSP}: 10.0.0.5 pointe vers une adresse de réseau privé (par exemple "
        "tgram://token/chat, ntfy://topic, json://host/path)."
    )
    english = client.post("/api/channels", json=url)
    assert english.json()["error"]["message"] == (
        "This channel URL cannot be used: this channel's destination is not allowed: 10.0.0.5 "
        "points to a private network address (e.g. tgram://token/chat, ntfy://topic, "
        "json://host/path)."
    )
