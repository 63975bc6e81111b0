"""The sessions list over HTTP: every sign-in is recorded (address, browser), the list shows the
live ones with the caller's marked, and signing one out (or all the others) kills it at once
on the API and for the socket's claims check (docs/api-tokens-and-sessions.md)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from freezegun import freeze_time
from sqlmodel import select

from tests.api.conftest import PASSWORD

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME = "Mozilla/5.0 (Macintosh) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"


def sign_in(client: Any, email: str, user_agent: str = FIREFOX) -> str:
    """Sign in with the password (as a browser would); the session cookie's value. The
    client's own cookie jar is left empty: each call below names its cookie."""
    answer = client.post(
        "/api/auth/login",
        json={"email": email, "password": PASSWORD},
        headers={"User-Agent": user_agent},
    )
    assert answer.status_code == 200, answer.text
    cookie = answer.cookies["exstrat_session"]
    client.cookies.clear()
    return str(cookie)


def as_(cookie: str) -> dict[str, str]:
    return {"Cookie": f"exstrat_session={cookie}"}


def rows(db: Any, user_id: str) -> list[Any]:
    from exstrat_app.models import UserSession

    db.expire_all()
    return list(db.exec(select(UserSession).where(UserSession.user_id == user_id)).all())


def listed(client: Any, cookie: str) -> list[dict[str, Any]]:
    answer = client.get("/api/auth/sessions", headers=as_(cookie))
    assert answer.status_code == 200, answer.text
    return list(answer.json())


def test_a_login_records_its_session_with_address_and_browser(
    client: Any, db: Any, person: Callable[[str], Any]
) -> None:
    from exstrat_app.services.auth import decode_session_token
    from exstrat_app.settings import get_settings

    ann = person("ann")
    cookie = sign_in(client, ann.email, user_agent=FIREFOX + " " + "x" * 400)
    [row] = rows(db, ann.id)
    claims = decode_session_token(get_settings(), cookie)
    assert row.jti == claims["jti"]
    assert row.ip == "testclient"  # the TestClient's peer address
    assert row.user_agent.startswith(FIREFOX) and len(row.user_agent) == 300
    assert int(row.expires_at.timestamp()) == claims["exp"]


def test_the_pages_hand_over_records_a_session_too(
    client: Any, db: Any, redis: Any, person: Callable[[str], Any]
) -> None:
    from exstrat_app.services.auth import create_login_ticket

    ann = person("ann")
    ticket = create_login_ticket(user_id=ann.id, redis=redis)
    answer = client.get(
        "/api/auth/complete",
        params={"ticket": ticket},
        headers={"Sec-Fetch-Site": "same-origin", "User-Agent": CHROME},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    [row] = rows(db, ann.id)
    assert row.user_agent == CHROME


def test_the_two_factor_sign_in_records_a_session_only_after_the_code(
    client: Any, db: Any, person: Callable[[str], Any]
) -> None:
    from tests.api.test_totp import enrol, next_code

    ann = person("ann")
    first = sign_in(client, ann.email)
    client.cookies.set("exstrat_session", first)
    secret, _ = enrol(client)  # ends every other session: this one stays
    client.cookies.clear()
    assert len(rows(db, ann.id)) == 1

    started = client.post("/api/auth/login", json={"email": ann.email, "password": PASSWORD})
    assert started.status_code == 202
    assert len(rows(db, ann.id)) == 1  # the password alone signs nothing in
    done = client.post(
        "/api/auth/login/totp",
        json={"ticket": started.json()["ticket"], "code": next_code(secret)},
        headers={"User-Agent": CHROME},
    )
    assert done.status_code == 200, done.text
    assert sorted(r.user_agent for r in rows(db, ann.id)) == sorted([FIREFOX, CHROME])


def test_the_list_shows_live_sessions_newest_first_and_marks_the_callers(
    client: Any, person: Callable[[str], Any]
) -> None:
    ann = person("ann")
    with freeze_time("2030-01-01 10:00:00"):
        first = sign_in(client, ann.email, FIREFOX)
    with freeze_time("2030-01-01 10:05:00"):
        sign_in(client, ann.email, CHROME)
        found = listed(client, first)
    assert [s["userAgent"] for s in found] == [CHROME, FIREFOX]
    assert [s["current"] for s in found] == [False, True]
    assert set(found[0]) == {"id", "current", "createdAt", "lastSeenAt", "ip", "userAgent"}
    assert found[1]["createdAt"].startswith("2030-01-01T10:00:00")
    # The id is a digest, not the jti (part of the credential's claims).
    assert all("." not in s["id"] and len(s["id"]) == 32 for s in found)


def test_last_seen_moves_at_most_once_a_minute(
    client: Any, db: Any, person: Callable[[str], Any]
) -> None:
    ann = person("ann")
    with freeze_time("2030-01-01 10:00:00") as clock:
        cookie = sign_in(client, ann.email)
        clock.move_to("2030-01-01 10:00:59")
        assert client.get("/api/me", headers=as_(cookie)).status_code == 200
        assert rows(db, ann.id)[0].last_seen_at.isoformat().startswith("2030-01-01T10:00:00")
        clock.move_to("2030-01-01 10:01:01")
        assert client.get("/api/me", headers=as_(cookie)).status_code == 200
        assert rows(db, ann.id)[0].last_seen_at.isoformat().startswith("2030-01-01T10:01:01")


def test_signing_another_session_out_kills_it_at_once_for_api_and_socket(
    client: Any, db: Any, person: Callable[[str], Any]
) -> None:
    from exstrat_app.services.auth import decode_session_token, verify_session_claims
    from exstrat_app.settings import get_settings

    ann = person("ann")
    mine = sign_in(client, ann.email, FIREFOX)
    other = sign_in(client, ann.email, CHROME)
    claims = decode_session_token(get_settings(), other)
    [target] = [s for s in listed(client, mine) if not s["current"]]

    answer = client.delete(f"/api/auth/sessions/{target['id']}", headers=as_(mine))
    assert answer.status_code == 204, answer.text

    assert client.get("/api/me", headers=as_(other)).status_code == 401
    db.expire_all()
    assert not verify_session_claims(
        db, user_id=ann.id, jti=claims["jti"], expires_at=int(claims["exp"])
    )
    assert client.get("/api/me", headers=as_(mine)).status_code == 200
    assert [s["current"] for s in listed(client, mine)] == [True]
    assert len(rows(db, ann.id)) == 1
    again = client.delete(f"/api/auth/sessions/{target['id']}", headers=as_(mine))
    assert again.status_code == 404


def test_sign_out_everywhere_else_keeps_the_caller(
    client: Any, db: Any, person: Callable[[str], Any]
) -> None:
    ann = person("ann")
    others = [sign_in(client, ann.email) for _ in range(2)]
    mine = sign_in(client, ann.email, CHROME)

    answer = client.post("/api/auth/sessions/end-others", headers=as_(mine))
    assert answer.status_code == 204, answer.text

    assert all(client.get("/api/me", headers=as_(c)).status_code == 401 for c in others)
    assert client.get("/api/me", headers=as_(mine)).status_code == 200
    found = listed(client, mine)
    assert [(s["current"], s["userAgent"]) for s in found] == [(True, CHROME)]
    assert len(rows(db, ann.id)) == 1
    # A session started after the cut is untouched by it.
    later = sign_in(client, ann.email)
    assert client.get("/api/me", headers=as_(later)).status_code == 200


def test_another_users_session_id_is_not_found(client: Any, person: Callable[[str], Any]) -> None:
    ann, bob = person("ann"), person("bob")
    anns = sign_in(client, ann.email)
    bobs = sign_in(client, bob.email)
    [bob_session] = listed(client, bobs)

    answer = client.delete(f"/api/auth/sessions/{bob_session['id']}", headers=as_(anns))
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"
    assert client.get("/api/me", headers=as_(bobs)).status_code == 200
    assert [s["current"] for s in listed(client, anns)] == [True]  # only her own


def test_logout_removes_its_row(client: Any, db: Any, person: Callable[[str], Any]) -> None:
    ann = person("ann")
    kept = sign_in(client, ann.email, CHROME)
    gone = sign_in(client, ann.email, FIREFOX)
    assert len(rows(db, ann.id)) == 2

    assert client.post("/api/auth/logout", headers=as_(gone)).status_code == 204

    assert [r.user_agent for r in rows(db, ann.id)] == [CHROME]
    assert [s["userAgent"] for s in listed(client, kept)] == [CHROME]


def test_expired_sessions_are_not_listed(client: Any, person: Callable[[str], Any]) -> None:
    from exstrat_app.infra.db.types import utcnow
    from exstrat_app.settings import get_settings

    ann = person("ann")
    old = sign_in(client, ann.email, FIREFOX)
    ttl = get_settings().jwt_ttl_seconds
    with freeze_time(utcnow() + timedelta(seconds=ttl - 60)):
        fresh = sign_in(client, ann.email, CHROME)
    with freeze_time(utcnow() + timedelta(seconds=ttl + 5)):
        assert client.get("/api/me", headers=as_(old)).status_code == 401
        assert [s["userAgent"] for s in listed(client, fresh)] == [CHROME]


def test_the_list_needs_a_signed_in_session(client: Any) -> None:
    client.cookies.clear()
    assert client.get("/api/auth/sessions").status_code == 401
    assert client.post("/api/auth/sessions/end-others").status_code == 401
    assert client.delete("/api/auth/sessions/abc").status_code == 401


def test_the_shared_demo_account_records_no_sessions(
    client: Any, db: Any, redis: Any, person: Callable[[str], Any]
) -> None:
    from exstrat_app.services.auth import create_login_ticket

    demo = person("demo")
    demo.is_demo = True
    db.add(demo)
    db.commit()
    ticket = create_login_ticket(user_id=demo.id, redis=redis)
    answer = client.get(
        "/api/auth/complete",
        params={"ticket": ticket},
        headers={"Sec-Fetch-Site": "same-origin"},
        follow_redirects=False,
    )
    cookie = answer.cookies["exstrat_session"]
    client.cookies.clear()
    assert rows(db, demo.id) == []  # visitors never see each other's addresses
    assert listed(client, cookie) == []
    ended = client.post("/api/auth/sessions/end-others", headers=as_(cookie))
    assert ended.status_code == 409  # one visitor cannot sign the others out
