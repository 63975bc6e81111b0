"""Web push and Apprise channels at the wire: a local push service and a local JSON webhook
receive what a fired step sends, through the real watcher, RQ worker, pywebpush and Apprise."""

from __future__ import annotations

import logging
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlmodel import Session, select

from exstrat_app.models import ChannelDelivery, Notification
from exstrat_app.services.notifications import channel_delivery
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


@pytest.fixture
def webhook() -> Iterator[LocalServer]:
    with LocalServer() as server:
        yield server


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries without intervals are requeued at once: the burst worker runs every try."""
    monkeypatch.setattr(channel_delivery, "CHANNEL_RETRY_INTERVALS", [0, 0, 0, 0])


def deliveries(engine: Any) -> list[ChannelDelivery]:
    with Session(engine) as s:
        return list(s.exec(select(ChannelDelivery).order_by(ChannelDelivery.attempts)))


def notifications(engine: Any) -> list[Notification]:
    with Session(engine) as s:
        return list(s.exec(select(Notification).order_by(Notification.created_at)))


def fire(binance: SimExchange, redis: Any, price: str) -> None:
    """The price moves; one watch cycle and every job it enqueues (email, channels) run."""
    binance.set_price("ETH/USDT", price)
    expire_price_cache(redis)
    enqueue_watch(redis)
    run_worker(redis)


def add_apprise(client: Any, url: str, label: str = "hook") -> dict[str, Any]:
    answer = client.post("/api/channels", json={"url": url, "label": label})
    assert answer.status_code == 201, answer.text
    return answer.json()


@dataclass
class Stage:
    """Alice signed in, her ETH position (4 at 2000) and mail captured, Binance at 2000."""

    engine: Any
    db: Any
    redis: Any
    client: Any
    binance: SimExchange
    alice: Any

    def fire(self, price: str) -> None:
        fire(self.binance, self.redis, price)

    def seed_strategy(self) -> Any:
        return create_seed_strategy(self.db, self.alice.id)


@pytest.fixture
def stage(
    engine: Any,
    db: Any,
    redis: Any,
    client: Any,
    binance: SimExchange,
    alice: Any,
    seed_position: Any,
    outbox: Any,
) -> Stage:
    sign_in(client, alice.id)
    return Stage(engine, db, redis, client, binance, alice)


# ---------------------------------------------------------------- web push


def test_the_push_payload_decrypts_with_the_subscription_keys_to_the_alert(
    stage: Stage, data_dir: Any
) -> None:
    vapid = stage.client.get("/api/push/vapid-public-key").json()["publicKey"]
    assert stage.client.get("/api/push/vapid-public-key").json()["publicKey"] == vapid  # kept
    key_file = data_dir / "vapid_private.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    browser = BrowserKeys.new()
    with LocalServer(default=201) as push_service:
        endpoint = push_service.url("/push/v2/capability-token")
        answer = stage.client.post("/api/push/subscriptions", json=browser.subscription(endpoint))
        assert answer.status_code == 201, answer.text
        assert answer.json()["kind"] == "webpush"
        assert "capability-token" not in answer.text
        # The same subscription again (a reload): still one channel.
        stage.client.post("/api/push/subscriptions", json=browser.subscription(endpoint))
        assert len(stage.client.get("/api/channels").json()) == 1

        strategy = stage.seed_strategy()
        stage.fire("2250.5")

        [request] = push_service.received
    assert request.path == "/push/v2/capability-token"
    assert request.headers["content-encoding"] == "aes128gcm"
    assert int(request.headers["ttl"]) == 24 * 3600
    # RFC 8292: a VAPID JWT signed by the key whose public half the page subscribed with.
    assert request.headers["authorization"].startswith("vapid t=")
    assert f"k={vapid}" in request.headers["authorization"]
    [note] = notifications(stage.engine)
    assert browser.decrypt(request.body) == {
        "title": "ETH reached step 1 of 2: sell 0.8 ETH",
        "body": note.body,
        "url": f"/strategies/{strategy.id}",
    }
    assert "$2,250.50" in note.body
    [delivery] = deliveries(stage.engine)
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 1, None)


def test_a_gone_subscription_fails_at_once_without_retrying(
    stage: Stage, quick_retries: None
) -> None:
    with LocalServer(default=410) as push_service:
        stage.client.post(
            "/api/push/subscriptions", json=BrowserKeys.new().subscription(push_service.url("/p/x"))
        )
        stage.seed_strategy()
        stage.fire("2250")
        assert len(push_service.received) == 1
    [delivery] = deliveries(stage.engine)
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert delivery.last_error == "the subscription has expired: subscribe again"


# ---------------------------------------------------------------- Apprise


def test_a_json_webhook_receives_exactly_one_message_per_step(
    stage: Stage, webhook: LocalServer
) -> None:
    add_apprise(stage.client, f"json://127.0.0.1:{webhook.port}/alerts")
    strategy = stage.seed_strategy()

    stage.fire("2250")  # step 1 (2200)
    stage.fire("2260")  # nothing new: step 1 already fired
    stage.fire("2900")  # step 2 (2800)
    messages = [r.json() for r in webhook.received]
    assert [m["title"] for m in messages] == [
        "ETH reached step 1 of 2: sell 0.8 ETH",
        "ETH reached step 2 of 2: sell 2.36 ETH",  # 59 % of 4
    ]
    assert f"/strategies/{strategy.id}" in messages[0]["message"]
    assert [r.path for r in webhook.received] == ["/alerts", "/alerts"]

    # A second fan-out of the same alerts (a retried or swept job) sends nothing more.
    for note in notifications(stage.engine):
        assert channel_delivery.fan_out(lambda: Session(stage.engine), stage.redis, note.id) == 0
    run_worker(stage.redis, ("notify",))
    assert len(webhook.received) == 2
    assert [(d.status, d.attempts) for d in deliveries(stage.engine)] == [("sent", 1), ("sent", 1)]


def test_a_failing_webhook_is_retried_and_never_blocks_the_in_app_alert(
    stage: Stage, quick_retries: None
) -> None:
    with LocalServer(statuses=[500, 500]) as flaky:
        add_apprise(stage.client, f"json://127.0.0.1:{flaky.port}/hook")
        stage.seed_strategy()
        stage.fire("2250")
        assert len(flaky.received) == 3  # two 500s, then the message went through
    [delivery] = deliveries(stage.engine)
    assert (delivery.status, delivery.attempts) == ("sent", 3)
    # The in-app alert and the email were never held back by the webhook.
    [note] = notifications(stage.engine)
    assert note.in_app and note.email_status == "sent"
    assert stage.client.get("/api/notifications").json()["unread"] == 1


def test_a_webhook_down_for_good_is_marked_failed_after_every_try(
    stage: Stage, quick_retries: None
) -> None:
    with LocalServer(default=500) as broken:
        add_apprise(stage.client, f"json://127.0.0.1:{broken.port}/hook")
        stage.seed_strategy()
        stage.fire("2250")
        assert len(broken.received) == channel_delivery.MAX_CHANNEL_TRIES
    [delivery] = deliveries(stage.engine)
    assert (delivery.status, delivery.attempts) == ("failed", channel_delivery.MAX_CHANNEL_TRIES)
    assert delivery.last_error == "could not deliver to this channel"
    [note] = notifications(stage.engine)
    assert note.email_status == "sent"


def test_the_url_never_appears_in_logs_or_api_answers(
    stage: Stage, quick_retries: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)  # the product's level (LOG_LEVEL's default)
    secret = "tok-9f8e7d6c5b4a"
    answers = []
    with LocalServer(statuses=[500]) as hook:
        url = f"json://127.0.0.1:{hook.port}/{secret}"
        answer = stage.client.post("/api/channels", json={"url": url, "label": "my hook"})
        answers.append(answer)
        channel = answer.json()
        assert channel["hint"] == "JSON (json://…)" and channel["label"] == "my hook"
        answers.append(stage.client.post("/api/channels", json={"url": url}))  # 409: already there
        answers.append(stage.client.get("/api/channels"))
        results = []
        for _ in range(2):  # the hook answers 500, then 200
            answers.append(stage.client.post(f"/api/channels/{channel['id']}/test"))  # 202
            run_worker(stage.redis, ("notify",))
            answers.append(stage.client.get("/api/channels"))
            results.append(answers[-1].json()[0]["test"])
        stage.seed_strategy()
        stage.fire("2250")
    answers.append(stage.client.post(f"/api/channels/{channel['id']}/test"))  # unreachable now
    run_worker(stage.redis, ("notify",))
    answers.append(stage.client.get("/api/channels"))
    results.append(answers[-1].json()[0]["test"])
    assert [a.status_code for a in answers] == [201, 409, 200, 202, 200, 202, 200, 202, 200]
    assert [(r["state"], r["message"]) for r in results] == [
        ("failed", "The test did not go through: could not deliver to this channel."),
        ("sent", "The test message was delivered."),
        ("failed", "The test did not go through: could not deliver to this channel."),
    ]
    assert [r.json()["title"] for r in hook.received] == [
        "exstrat test",
        "exstrat test",
        "ETH reached step 1 of 2: sell 0.8 ETH",
    ]
    for a in answers:
        assert secret not in a.text
    assert secret not in caplog.text
    assert str(hook.port) not in caplog.text
    with Session(stage.engine) as s:
        for d in s.exec(select(ChannelDelivery)):
            assert secret not in (d.last_error or "")


def test_bad_input_is_a_clear_4xx(client: Any, alice: Any, bob: Any, webhook: LocalServer) -> None:
    sign_in(client, alice.id)
    for body, field in (
        ({"url": ""}, "url"),
        ({"url": "nope://where"}, "url"),
        ({"url": "json://a b"}, "url"),
    ):
        answer = client.post("/api/channels", json=body)
        assert answer.status_code == 422, answer.text
        assert field in answer.json()["error"]["fields"]
    bad_push = {"endpoint": "https://push.example/x", "keys": {"p256dh": "short", "auth": "x"}}
    answer = client.post("/api/push/subscriptions", json=bad_push)
    assert answer.status_code == 422 and "p256dh" in answer.json()["error"]["fields"]
    mine = add_apprise(client, f"json://127.0.0.1:{webhook.port}/a")

    sign_in(client, bob.id)  # someone else's channel does not exist for bob
    assert client.get("/api/channels").json() == []
    assert client.post(f"/api/channels/{mine['id']}/test").status_code == 404
    assert client.delete(f"/api/channels/{mine['id']}").status_code == 404

    sign_in(client, alice.id)
    assert client.delete(f"/api/channels/{mine['id']}").status_code == 204
    assert client.get("/api/channels").json() == []
    assert webhook.received == []


def test_signed_out_callers_are_refused(client: Any) -> None:
    assert client.get("/api/channels").status_code == 401
    assert client.post("/api/channels", json={"url": "json://x/"}).status_code == 401


def test_the_url_is_sealed_at_rest_and_bound_to_its_row(
    engine: Any, db: Any, client: Any, alice: Any
) -> None:
    from exstrat_app.bootstrap import secret_box
    from exstrat_app.infra.crypto import SecretUnreadable
    from exstrat_app.models import Channel
    from exstrat_app.services.notifications.channels import SEALED_COLUMN, open_secret

    sign_in(client, alice.id)
    url = "tgram://123456789:AAbbCCddEEff/4242"
    first = add_apprise(client, url, "phone")
    second = add_apprise(client, "json://127.0.0.1:9/other", "hook")
    assert first["hint"] == "Telegram (tgram://…)"
    with Session(engine) as s:
        row = s.get(Channel, first["id"])
        other = s.get(Channel, second["id"])
    assert b"AAbbCCddEEff" not in row.secret_enc
    assert open_secret(row, secret_box()) == url
    # A ciphertext copied onto another channel's row does not open there.
    with pytest.raises(SecretUnreadable):
        secret_box().open(row.secret_enc, key_id=row.key_id, row_id=other.id, column=SEALED_COLUMN)
