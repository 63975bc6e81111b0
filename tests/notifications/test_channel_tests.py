"""A channel test goes through the queue: the request answers at once (202), a real RQ worker
sends within the deadline, the result shows on the channel; limits per user."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from rq.job import Job

from exstrat_app.infra import apprise_sender
from exstrat_app.services.auth import issue_session_token
from exstrat_app.services.notifications import channel_tests
from exstrat_app.settings import get_settings
from tests.alerts.channel_servers import LocalServer
from tests.alerts.conftest import run_worker, sign_in
from tests.notifications.listeners import silent_listener

pytestmark = pytest.mark.usefixtures("allow_loopback")


def _cookie(user_id: str) -> dict[str, str]:
    return {"Cookie": f"exstrat_session={issue_session_token(get_settings(), user_id=user_id)}"}


def _add(client: Any, headers: dict[str, str], url: str) -> str:
    answer = client.post("/api/channels", json={"url": url}, headers=headers)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


@pytest.fixture
def quick_sends(monkeypatch: pytest.MonkeyPatch) -> None:
    """Short socket timeouts and deadline, so a silent destination costs a second, not 15."""
    monkeypatch.setattr(apprise_sender, "READ_TIMEOUT_SECONDS", 0.3)
    monkeypatch.setattr(apprise_sender, "CONNECT_TIMEOUT_SECONDS", 0.3)
    monkeypatch.setattr(apprise_sender, "SEND_DEADLINE_SECONDS", 1.0)


def test_twelve_tests_of_a_silent_destination_answer_at_once_and_end_by_their_deadline(
    client: Any, redis: Any, make_user: Callable[..., Any], quick_sends: None
) -> None:
    users = [make_user(f"tester{i}@example.com") for i in range(12)]
    other = make_user("bystander@example.com")
    with silent_listener() as port:
        channels = [
            (_cookie(u.id), _add(client, _cookie(u.id), f"json://127.0.0.1:{port}/never"))
            for u in users
        ]

        def ask(pair: tuple[dict[str, str], str]) -> tuple[int, float]:
            started = time.perf_counter()
            answer = client.post(f"/api/channels/{pair[1]}/test", headers=pair[0])
            return answer.status_code, time.perf_counter() - started

        def bystander() -> float:
            started = time.perf_counter()
            assert client.get("/api/me", headers=_cookie(other.id)).status_code == 200
            return time.perf_counter() - started

        with ThreadPoolExecutor(max_workers=13) as pool:
            asked = [pool.submit(ask, pair) for pair in channels]
            me = pool.submit(bystander)
            answers = [f.result() for f in asked]
            me_seconds = me.result()
        print(
            f"\n12 concurrent channel tests: slowest answer {max(s for _, s in answers):.3f} s, "
            f"another user's GET /api/me {me_seconds:.3f} s"
        )
        assert [status for status, _ in answers] == [202] * 12
        assert max(seconds for _, seconds in answers) < 1.0
        assert me_seconds < 1.0

        run_worker(redis, ("notify",))
    durations = []
    for headers, channel_id in channels:
        [row] = client.get("/api/channels", headers=headers).json()
        assert row["test"]["state"] == "failed", row
        assert row["test"]["message"] == (
            "The test did not go through: could not deliver to this channel."
        )
        token = _token(channel_id)
        job = Job.fetch(channel_tests.test_job_id(channel_id, token), connection=redis)
        durations.append((job.ended_at - job.started_at).total_seconds())
    print(f"sends against a silent destination: longest {max(durations):.3f} s (deadline 1 s)")
    assert max(durations) < apprise_sender.SEND_DEADLINE_SECONDS + 0.5


def _token(channel_id: str) -> str:
    from sqlmodel import Session

    from exstrat_app.infra.db.engine import get_engine
    from exstrat_app.models import Channel

    with Session(get_engine()) as s:
        channel = s.get(Channel, channel_id)
        assert channel is not None and channel.test_token
        return channel.test_token


def test_one_test_at_a_time_and_a_few_a_minute(
    client: Any, redis: Any, alice: Any, quick_sends: None
) -> None:
    sign_in(client, alice.id)
    with LocalServer() as hook:
        first = _add(client, {}, f"json://127.0.0.1:{hook.port}/a")
        second = _add(client, {}, f"json://127.0.0.1:{hook.port}/b")
        assert client.post(f"/api/channels/{first}/test").status_code == 202
        busy = client.post(f"/api/channels/{second}/test")
        assert busy.status_code == 409
        assert busy.json()["error"]["message"].startswith("A test is already on its way")
        run_worker(redis, ("notify",))
        for _ in range(4):  # five in the minute in all
            assert client.post(f"/api/channels/{second}/test").status_code == 202
            run_worker(redis, ("notify",))
        too_many = client.post(f"/api/channels/{first}/test")
        assert too_many.status_code == 429
        assert int(too_many.headers["Retry-After"]) >= 1
        assert len(hook.received) == 5
    states = {row["id"]: row["test"]["state"] for row in client.get("/api/channels").json()}
    assert states == {first: "sent", second: "sent"}


@pytest.fixture
def trickling_server() -> Iterator[int]:
    """Answers a status line, then one header byte every 0.2 s for ever: every read gets
    something, so only a deadline on the whole send ends it."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=trickle, args=(conn,), daemon=True).start()

    def trickle(conn: socket.socket) -> None:
        try:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            while not stop.wait(0.2):
                conn.sendall(b"a")
        except OSError:
            pass
        finally:
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(server.getsockname()[1])
    finally:
        stop.set()
        server.close()
        thread.join(timeout=5)


def test_a_destination_that_trickles_for_ever_is_cut_at_the_job_timeout(
    client: Any,
    redis: Any,
    alice: Any,
    quick_sends: None,
    trickling_server: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(channel_tests, "TEST_JOB_TIMEOUT", 2)
    sign_in(client, alice.id)
    channel = _add(client, {}, f"json://127.0.0.1:{trickling_server}/slow")
    assert client.post(f"/api/channels/{channel}/test").status_code == 202
    started = time.monotonic()
    run_worker(redis, ("notify",))
    elapsed = time.monotonic() - started
    print(f"\na trickling destination was cut after {elapsed:.2f} s (job timeout 2 s)")
    assert elapsed < 4
    [row] = client.get("/api/channels").json()
    assert row["test"] == {
        "state": "failed",
        "message": "The test did not go through: the destination took too long.",
        "requestedAt": row["test"]["requestedAt"],
    }
