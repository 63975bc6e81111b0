"""API-wide protections: CSRF, security headers, rate limit (exstrat_app.api.security)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from limits import parse
from limits.storage import storage_from_string

from exstrat_app.api import create_api
from exstrat_app.api.deps import client_ip_from_scope
from exstrat_app.api.security import (
    CONTENT_SECURITY_POLICY,
    ApiRateLimitMiddleware,
    normalise_origin,
)
from exstrat_app.services.auth import issue_session_token
from exstrat_app.settings import get_settings
from tests.api.conftest import BASE_URL, PASSWORD, sign_in

# ------------------------------------------------------------------ CSRF


@pytest.fixture
def signed_in(client, make_user):
    user = make_user("alice@example.com")
    sign_in(client, user.id)
    return client


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.com"},
        {"Origin": "http://evil.com"},
        {"Origin": "http://testserver.evil.com"},
        {"Origin": "http://testserver:8080"},  # same host, other port
        {"Origin": "https://testserver"},  # same host, other scheme
        {"Origin": "null"},
    ],
)
def test_cross_site_post_riding_the_cookie_is_403(signed_in, headers):
    resp = signed_in.post("/api/auth/logout", headers=headers)
    assert resp.status_code == 403
    error = resp.json()["error"]
    assert error["code"] == "csrf"
    assert error["message"]
    # Nothing happened: the session still works.
    assert signed_in.get("/api/me").status_code == 200


def test_referer_is_used_when_origin_is_absent(signed_in):
    del signed_in.headers["origin"]
    foreign = signed_in.post("/api/auth/logout", headers={"Referer": "https://evil.com/page"})
    assert foreign.status_code == 403
    own = signed_in.post("/api/auth/logout", headers={"Referer": f"{BASE_URL}/portfolio"})
    assert own.status_code == 204


def test_no_origin_no_referer_is_refused_with_a_cookie_allowed_without(signed_in):
    del signed_in.headers["origin"]
    assert signed_in.post("/api/auth/logout").status_code == 403

    signed_in.cookies.clear()  # a script or curl without a session
    resp = signed_in.post("/api/auth/signup", json={"email": "bad", "password": PASSWORD})
    assert resp.status_code == 422


def test_same_site_origins_are_allowed(signed_in, monkeypatch):
    from exstrat_app.settings import get_settings

    # The public URL (e.g. the Reflex frontend in dev) counts as this site.
    monkeypatch.setattr(get_settings(), "public_url", "http://localhost:3000")
    resp = signed_in.post("/api/auth/signup", json={}, headers={"Origin": "http://localhost:3000"})
    assert resp.status_code == 422

    # Behind a TLS-terminating proxy the request is http but the page is https.
    resp = signed_in.post(
        "/api/auth/signup",
        json={},
        headers={"Origin": "https://testserver", "X-Forwarded-Proto": "https"},
    )
    assert resp.status_code == 422

    assert signed_in.post("/api/auth/logout").status_code == 204


def test_safe_methods_are_not_csrf_checked(signed_in):
    resp = signed_in.get("/api/me", headers={"Origin": "https://evil.com"})
    assert resp.status_code == 200


def test_normalise_origin():
    assert normalise_origin("http://Example.com") == "http://example.com:80"
    assert normalise_origin("https://example.com:443/x?y") == "https://example.com:443"
    assert normalise_origin("http://[::1]:3000") == "http://[::1]:3000"
    for bad in (None, "", "null", "file:///etc/passwd", "http://", "http://h:99999"):
        assert normalise_origin(bad) is None


# ------------------------------------------------------------------ headers


def _assert_security_headers(resp):
    assert resp.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in resp.headers["content-security-policy"]
    assert resp.headers["x-frame-options"] == "DENY"
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["referrer-policy"] == "same-origin"


def test_security_headers_on_every_response(signed_in):
    client = signed_in
    for resp in (
        client.get("/api/me"),  # 200
        client.post("/api/auth/logout", headers={"Origin": "https://evil.com"}),  # 403
        client.get("/api/nope"),  # 404
        client.get("/some/page"),  # outside /api (the Reflex pages are mounted here)
    ):
        _assert_security_headers(resp)
    assert client.get("/api/me").headers["cache-control"] == "no-store"


def test_docs_page_keeps_working(client):
    resp = client.get("/api/docs")
    assert resp.status_code == 200
    assert "cdn.jsdelivr.net" in resp.headers["content-security-policy"]
    assert resp.headers["x-frame-options"] == "DENY"


# ------------------------------------------------------------------ rate limit


@pytest.fixture
def limited_client(db, redis, set_env):
    set_env("EXSTRAT_API_RATE_LIMIT", "3/minute")
    with TestClient(create_api(), base_url=BASE_URL, headers={"Origin": BASE_URL}) as c:
        yield c


def test_api_rate_limit_returns_429_with_retry_after(limited_client):
    for _ in range(3):
        assert limited_client.get("/api/me").status_code == 401
    resp = limited_client.get("/api/me")
    assert resp.status_code == 429
    assert resp.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(resp.headers["retry-after"]) <= 60
    _assert_security_headers(resp)
    # Pages outside /api are not counted.
    assert limited_client.get("/not-api").status_code == 404


def test_api_rate_limit_is_per_user(limited_client, make_user):
    alice = make_user("alice@example.com")
    bob = make_user("bob@example.com")
    alice_cookie = {
        "Cookie": f"exstrat_session={issue_session_token(get_settings(), user_id=alice.id)}"
    }
    bob_cookie = {
        "Cookie": f"exstrat_session={issue_session_token(get_settings(), user_id=bob.id)}"
    }
    for _ in range(3):
        assert limited_client.get("/api/me", headers=alice_cookie).status_code == 200
    assert limited_client.get("/api/me", headers=alice_cookie).status_code == 429
    # Same IP, other user; and anonymous requests have their own (IP) budget.
    assert limited_client.get("/api/me", headers=bob_cookie).status_code == 200
    assert limited_client.get("/api/me").status_code == 401


def test_api_rate_limit_fails_open_without_redis():
    app = FastAPI()

    @app.get("/api/ping")
    def ping() -> dict[str, bool]:
        return {"ok": True}

    app.add_middleware(
        ApiRateLimitMiddleware,
        item=parse("1/minute"),
        storage_factory=lambda: storage_from_string("redis://127.0.0.1:1/0"),
    )
    with TestClient(app) as c:
        assert c.get("/api/ping").status_code == 200
        assert c.get("/api/ping").status_code == 200


# ------------------------------------------------------------------ client IP


def test_client_ip_honours_only_the_configured_proxy_hops(set_env):
    scope = {
        "client": ("10.0.0.2", 1234),
        "headers": [(b"x-forwarded-for", b"6.6.6.6, 1.2.3.4")],
    }
    set_env("EXSTRAT_PROXY_HOPS", None)
    assert client_ip_from_scope(scope) == "10.0.0.2"  # not trusted by default
    set_env("EXSTRAT_PROXY_HOPS", "1")
    assert client_ip_from_scope(scope) == "1.2.3.4"  # the spoofable left part is ignored
    set_env("EXSTRAT_PROXY_HOPS", "2")
    assert client_ip_from_scope(scope) == "6.6.6.6"
