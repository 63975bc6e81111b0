"""An alert is written in its recipient's language, with figures the way they read them: the
email (a real SMTP server), the web push payload (a local push service) and the Apprise
message (a local JSON webhook), composed by a real RQ worker whose own language is English."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from email.header import decode_header, make_header
from email.message import Message
from typing import Any

import pytest
from sqlmodel import Session, select

from exstrat_app.i18n import current_locale
from exstrat_app.models import Notification, Strategy, StrategyStep, User
from exstrat_app.services.notifications import channel_delivery
from exstrat_app.services.notifications.delivery import deliver_email
from exstrat_app.services.strategies import step_count
from exstrat_app.services.strategies.watcher import _record
from exstrat_app.settings import get_settings
from simexchange import SimExchange
from tests.alerts.channel_servers import BrowserKeys, LocalServer
from tests.alerts.conftest import (
    create_seed_strategy,
    enqueue_watch,
    expire_price_cache,
    run_worker,
    sign_in,
)

pytestmark = pytest.mark.usefixtures("allow_loopback")

NNBSP, NBSP = "\u202f", "\u00a0"  # French thousands separator, space before € : ; ! ? %


@dataclass
class Wire:
    """Alice's three outside channels: her mailbox, a browser's push service, a webhook."""

    smtp: Any
    push: LocalServer
    browser: BrowserKeys
    hook: LocalServer


@pytest.fixture
def wire(
    db: Any, client: Any, alice: Any, seed_position: Any, smtp: Any, binance: SimExchange
) -> Iterator[Wire]:
    sign_in(client, alice.id)
    browser = BrowserKeys.new()
    with LocalServer(default=201) as push, LocalServer() as hook:
        answer = client.post(
            "/api/push/subscriptions", json=browser.subscription(push.url("/push/alice"))
        )
        assert answer.status_code == 201, answer.text
        answer = client.post(
            "/api/channels", json={"url": f"json://127.0.0.1:{hook.port}/alerts", "label": "hook"}
        )
        assert answer.status_code == 201, answer.text
        yield Wire(smtp, push, browser, hook)


def speak(db: Any, user_id: str, locale: str | None) -> None:
    user = db.get(User, user_id)
    user.locale = locale
    db.add(user)
    db.commit()


def subject(mail: Message) -> str:
    return str(make_header(decode_header(mail["Subject"])))


def text_of(mail: Message) -> str:
    return mail.get_payload(decode=True).decode()  # type: ignore[union-attr]


def only_note(engine: Any) -> Notification:
    with Session(engine) as s:
        return s.exec(select(Notification)).one()


CASES = {
    "fr": {
        "title": f"ETH a atteint le palier 1 sur 2{NBSP}: vendez 0,8 ETH",
        "body": (
            f"ETH/USDT est à 2{NNBSP}250,50{NBSP}$US, au niveau ou au-dessus du prix cible du "
            f"palier 1 sur 2 (2{NNBSP}200,00{NBSP}$US, +10{NBSP}%). Quantité à vendre{NBSP}: "
            "0,8 ETH."
        ),
        "email": [
            "Votre stratégie de prise de profit sur ETH a atteint un palier.",
            f"Palier{NBSP}:            1 sur 2 (+10{NBSP}%)",
            f"Prix cible{NBSP}:        2{NNBSP}200,00{NBSP}$US",
            f"Dernier prix{NBSP}:      2{NNBSP}250,50{NBSP}$US",
            f"Quantité à vendre{NBSP}: 0,8 ETH",
            "exstrat ne passe jamais d'ordre",
        ],
    },
    "en": {
        "title": "ETH reached step 1 of 2: sell 0.8 ETH",
        "body": (
            "ETH/USDT is at $2,250.50, at or above the target of step 1 of 2 ($2,200.00, +10%). "
            "Quantity to sell: 0.8 ETH."
        ),
        "email": [
            "Your take-profit ladder on ETH reached a step.",
            "Step:             1 of 2 (+10%)",
            "Target price:     $2,200.00",
            "Last price:       $2,250.50",
            "Quantity to sell: 0.8 ETH",
            "exstrat never places orders",
        ],
    },
}


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_an_alert_reaches_every_channel_in_its_recipients_language(
    locale: str, engine: Any, db: Any, redis: Any, binance: SimExchange, alice: Any, wire: Wire
) -> None:
    speak(db, alice.id, locale if locale == "fr" else None)  # None: English
    expected = CASES[locale]
    strategy = create_seed_strategy(db, alice.id)
    binance.set_price("ETH/USDT", "2250.5")
    expire_price_cache(redis)
    enqueue_watch(redis)
    run_worker(redis)
    assert current_locale() == "en"  # the worker's own language never changed

    note = only_note(engine)
    assert note.title == expected["title"]
    assert note.body.startswith(expected["body"])
    assert note.body.endswith(f"/strategies/{strategy.id}")

    [(_to, mail)] = wire.smtp.inbox.mails
    assert subject(mail) == expected["title"]
    email = text_of(mail)
    for line in expected["email"]:
        assert line in email, (line, email)

    [push] = wire.push.received
    assert wire.browser.decrypt(push.body) == {
        "title": expected["title"],
        "body": note.body,
        "url": f"/strategies/{strategy.id}",
    }
    [chat] = wire.hook.received
    assert (chat.json()["title"], chat.json()["message"]) == (expected["title"], note.body)


def test_a_euro_ladder_alert_is_written_in_euros(
    engine: Any, db: Any, redis: Any, alice: Any, wire: Wire
) -> None:
    """A EUR-quoted ladder: the watcher's writer (`_record`) and the email rebuilt from the
    rows say euros, the French way; the channels carry the same words."""
    speak(db, alice.id, "fr")
    strategy = create_seed_strategy(db, alice.id)
    with Session(engine, expire_on_commit=False) as s:
        row = s.get(Strategy, strategy.id)
        assert row is not None
        row.quote = "EUR"
        step = s.exec(
            select(StrategyStep).where(
                StrategyStep.strategy_id == row.id, StrategyStep.position == 0
            )
        ).one()
        step.state, step.triggered_price = "triggered", Decimal("2421.75")
        s.add_all([row, step])
        note = _record(s, row, step, Decimal("2421.75"), public_url="http://localhost:3000")
        s.commit()
    euros = f"2{NNBSP}421,75{NBSP}€"
    assert note.body.startswith(f"ETH/EUR est à {euros}, au niveau ou au-dessus")
    assert f"(2{NNBSP}200,00{NBSP}€, +10{NBSP}%)" in note.body

    status = deliver_email(
        note.id, final_attempt=True, sessions=lambda: Session(engine),
        settings=get_settings(), step_count=step_count,
    )  # fmt: skip
    assert status == "sent"
    [(_to, mail)] = wire.smtp.inbox.mails
    assert subject(mail) == f"ETH a atteint le palier 1 sur 2{NBSP}: vendez 0,8 ETH"
    assert f"Dernier prix{NBSP}:      {euros}" in text_of(mail)

    channel_delivery.fan_out(lambda: Session(engine), redis, note.id)
    run_worker(redis, ("notify",))
    assert wire.browser.decrypt(wire.push.received[0].body)["body"] == note.body
    assert wire.hook.received[0].json()["message"] == note.body
