"""The outbound guard at the wire: real listeners on 127.0.0.0/8, the real Apprise and
pywebpush senders, the real API and RQ worker; nothing of the guard is mocked. Only DNS is
answered by the test (a resolver it controls) where a name must rebind."""

from __future__ import annotations

import ipaddress
import socket
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlmodel import Session

from exstrat_app import bootstrap
from exstrat_app.infra.apprise_sender import AppriseFailed, AppriseRefused
from exstrat_app.infra.outbound import OutboundPolicy, OutboundRefused, check_destination
from exstrat_app.infra.webpush import PushFailed, PushRefused
from exstrat_app.models import Channel
from exstrat_app.models.channels import KIND_APPRISE, KIND_WEBPUSH
from exstrat_app.services.notifications.channels import (
    SEALED_COLUMN,
    SendConfig,
    send_to_channel,
)
from exstrat_app.settings import get_settings
from tests.alerts.channel_servers import BrowserKeys, LocalServer
from tests.alerts.conftest import run_worker, sign_in
from tests.notifications.listeners import CountingListener, redirecting_server

# Every spelling of "this machine" an attacker tries, as written in a URL's host.
LOOPBACK_SPELLINGS = [
    "127.0.0.1",
    "127.1",
    "2130706433",
    "0x7f000001",
    "0177.0.0.1",
    "127.000.000.001",
    "localhost",
    "localhost.",
    "LOCALHOST",
    "[::1]",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[0:0:0:0:0:ffff:127.0.0.1]",
]
# Inside addresses nothing listens on: refused before any connection is tried.
INSIDE_ADDRESSES = [
    "10.0.0.1",  # RFC 1918
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata (link-local)
    "100.64.0.1",  # CGNAT
    "224.0.0.1",  # multicast
    "0.0.0.0",  # unspecified
    "240.0.0.1",  # reserved
    "255.255.255.255",
    "[fc00::1]",  # RFC 4193
    "[fe80::1]",  # link-local
    "[ff02::1]",  # multicast
    "[::]",
    "[64:ff9b::a9fe:a9fe]",  # NAT64 of 169.254.169.254
    "[2002:7f00:1::1]",  # 6to4 of 127.0.0.1
]


def _host(spelling: str) -> str:
    return spelling.strip("[]")


@pytest.mark.parametrize("spelling", LOOPBACK_SPELLINGS + INSIDE_ADDRESSES)
def test_every_inside_spelling_is_refused_by_the_guard(spelling: str) -> None:
    with pytest.raises(OutboundRefused) as refused:
        check_destination(_host(spelling), 80, OutboundPolicy())
    assert str(refused.value)  # words for the person


def test_a_public_address_passes_and_the_owner_allow_list_opens_the_inside() -> None:
    assert check_destination("8.8.8.8", 443, OutboundPolicy()) == [ipaddress.ip_address("8.8.8.8")]
    policy = OutboundPolicy.parse(" 127.0.0.1 , 192.168.0.0/16, homeassistant.lan ")
    assert check_destination("127.0.0.1", 80, policy)
    assert check_destination("192.168.4.2", 80, policy)
    with pytest.raises(OutboundRefused):
        check_destination("10.0.0.1", 80, policy)
    with pytest.raises(ValueError, match="not a host"):
        OutboundPolicy.parse("http://x/")


@pytest.fixture
def listener() -> Iterator[CountingListener]:
    with CountingListener() as counting:
        yield counting


def test_every_spelling_is_refused_at_add_with_words_and_no_connection(
    client: Any, alice: Any, listener: CountingListener
) -> None:
    sign_in(client, alice.id)
    keys = BrowserKeys.new()
    for spelling in LOOPBACK_SPELLINGS + INSIDE_ADDRESSES:
        answer = client.post("/api/channels", json={"url": f"json://{spelling}:{listener.port}/x"})
        assert answer.status_code == 422, (spelling, answer.text)
        assert answer.json()["error"]["message"].startswith("This channel URL cannot be used")
        endpoint = f"http://{spelling}:{listener.port}/push/token"
        answer = client.post("/api/push/subscriptions", json=keys.subscription(endpoint))
        assert answer.status_code == 422, (spelling, answer.text)
        assert "push endpoint cannot be used" in answer.json()["error"]["message"]
    assert client.get("/api/channels").json() == []
    assert listener.accepted == 0


def _forced(engine: Any, user_id: str, kind: str, secret: str) -> Channel:
    """A channel written straight into the database, past the add-time check."""
    box = bootstrap.secret_box()
    channel = Channel(
        user_id=user_id, kind=kind, label="forced", hint="forced", secret_enc=b"",
        key_id=box.current_key_id, fingerprint=uuid.uuid4().hex,
    )  # fmt: skip
    channel.secret_enc = box.seal(secret, row_id=channel.id, column=SEALED_COLUMN)
    with Session(engine, expire_on_commit=False) as s:
        s.add(channel)
        s.commit()
    return channel


def _config() -> SendConfig:
    return SendConfig.from_settings(get_settings())


def test_every_spelling_forced_into_the_database_is_refused_at_send(
    engine: Any, alice: Any, listener: CountingListener
) -> None:
    keys = BrowserKeys.new()
    for spelling in LOOPBACK_SPELLINGS + INSIDE_ADDRESSES:
        hook = _forced(engine, alice.id, KIND_APPRISE, f"json://{spelling}:{listener.port}/x")
        with pytest.raises(AppriseRefused):
            send_to_channel(hook, bootstrap.secret_box(), _config(), title="t", body="b", url="/")
        sub = keys.subscription(f"http://{spelling}:{listener.port}/push/token")
        push = _forced(engine, alice.id, KIND_WEBPUSH, _json(sub))
        with pytest.raises(PushRefused):
            send_to_channel(push, bootstrap.secret_box(), _config(), title="t", body="b", url="/")
    assert listener.accepted == 0


def _json(value: Any) -> str:
    import json

    return json.dumps(value)


def test_a_forced_channel_tested_through_the_queue_says_why_it_was_not_sent(
    engine: Any, client: Any, redis: Any, alice: Any, listener: CountingListener
) -> None:
    sign_in(client, alice.id)
    channel = _forced(engine, alice.id, KIND_APPRISE, f"json://2130706433:{listener.port}/x")
    assert client.post(f"/api/channels/{channel.id}/test").status_code == 202
    run_worker(redis, ("notify",))
    [row] = client.get("/api/channels").json()
    assert row["test"]["state"] == "failed"
    assert row["test"]["message"] == (
        "The test was not sent: this channel's destination is not allowed: "
        "2130706433 points to a loopback address."
    )
    assert listener.accepted == 0


@pytest.mark.parametrize("allowed", ["127.0.0.1", "127.0.0.0/8", "localhost"])
def test_an_address_the_owner_allows_is_delivered_to(
    allowed: str, client: Any, redis: Any, alice: Any, settings_env: Callable[..., None]
) -> None:
    settings_env(EXSTRAT_OUTBOUND_ALLOW=allowed)
    sign_in(client, alice.id)
    host = "localhost" if allowed == "localhost" else "127.0.0.1"
    with LocalServer() as hook:
        answer = client.post("/api/channels", json={"url": f"json://{host}:{hook.port}/lan"})
        assert answer.status_code == 201, answer.text
        assert client.post(f"/api/channels/{answer.json()['id']}/test").status_code == 202
        run_worker(redis, ("notify",))
        assert [r.path for r in hook.received] == ["/lan"]
    assert client.get("/api/channels").json()[0]["test"]["state"] == "sent"


def test_an_unreadable_allow_list_allows_nothing_more_and_never_fails_a_request(
    client: Any, alice: Any, settings_env: Callable[..., None]
) -> None:
    settings_env(EXSTRAT_OUTBOUND_ALLOW="127.0.0.1, http://lan/")
    sign_in(client, alice.id)
    answer = client.post("/api/channels", json={"url": "json://127.0.0.1:9/x"})
    assert answer.status_code == 422
    assert "loopback" in answer.json()["error"]["message"]


@pytest.mark.parametrize("target_allowed", [False, True])
def test_a_redirect_is_never_followed(
    target_allowed: bool, engine: Any, alice: Any, settings_env: Callable[..., None]
) -> None:
    with LocalServer() as target, redirecting_server(target.url("/inside")) as port:
        allowed = "127.0.0.2,127.0.0.1" if target_allowed else "127.0.0.2"
        settings_env(EXSTRAT_OUTBOUND_ALLOW=allowed)
        hook = _forced(engine, alice.id, KIND_APPRISE, f"json://127.0.0.2:{port}/hook")
        with pytest.raises(AppriseFailed) as failed:
            send_to_channel(hook, bootstrap.secret_box(), _config(), title="t", body="b", url="/")
        assert str(failed.value) == "could not deliver to this channel"  # not the 307
        sub = BrowserKeys.new().subscription(f"http://127.0.0.2:{port}/push")
        push = _forced(engine, alice.id, KIND_WEBPUSH, _json(sub))
        with pytest.raises(PushFailed) as failed_push:
            send_to_channel(push, bootstrap.secret_box(), _config(), title="t", body="b", url="/")
        assert str(failed_push.value) == "could not deliver to this channel"
        assert target.received == []


class FlippingDns:
    """A DNS server the test controls: `rebind.example` answers `first` for the first
    `times` lookups, then `then` (the rebinding attack); other names go to the system."""

    def __init__(self, first: str, then: str, times: int) -> None:
        self.answers = [first] * times
        self.then = then
        self.lookups = 0
        self.real = socket.getaddrinfo

    def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "rebind.example":
            return self.real(host, port, *args, **kwargs)
        self.lookups += 1
        address = self.answers.pop(0) if self.answers else self.then
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port or 0)))]


def _same_port_pair() -> tuple[LocalServer, CountingListener]:
    """A webhook on 127.0.0.2 and a counting listener on 127.0.0.1, on the same port."""
    for _ in range(20):
        hook = LocalServer(host="127.0.0.2")
        try:
            inside = CountingListener.on(("127.0.0.1", hook.port))
        except OSError:
            hook.server.server_close()
            continue
        return hook, inside
    raise AssertionError("no port free on both addresses")


def test_a_dns_answer_that_changes_between_check_and_connect_cannot_redirect_the_send(
    engine: Any, alice: Any, settings_env: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings_env(EXSTRAT_OUTBOUND_ALLOW="127.0.0.2")
    hook, inside = _same_port_pair()
    with hook, inside:
        channel = _forced(engine, alice.id, KIND_APPRISE, f"json://rebind.example:{hook.port}/h")
        outcomes = []
        # The name answers the allowed address for the first n lookups, then loopback: at
        # whichever lookup it flips, the send reaches the checked address or none at all.
        for honest_lookups in (0, 1, 2, 3, 10):
            dns = FlippingDns(first="127.0.0.2", then="127.0.0.1", times=honest_lookups)
            monkeypatch.setattr(socket, "getaddrinfo", dns)
            try:
                send_to_channel(channel, bootstrap.secret_box(), _config(), title="t", body="b",
                                url="/")  # fmt: skip
                outcomes.append("delivered")
            except AppriseRefused as refused:
                assert "rebind.example points to a loopback address" in str(refused)
                outcomes.append("refused")
        assert outcomes[0] == "refused" and outcomes[-1] == "delivered"
        assert len(hook.received) == outcomes.count("delivered")
        assert inside.accepted == 0  # never connected to where the name pointed later
