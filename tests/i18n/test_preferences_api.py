"""A user's language and reporting currency over the API (`PATCH /api/me`)."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import sign_in


def test_a_user_chooses_french_and_euros(client: Any, make_user: Any) -> None:
    user = make_user("pref@example.com")
    sign_in(client, user.id)
    me = client.get("/api/me").json()
    assert (me["locale"], me["currency"]) == (None, "USD")  # the browser's language; dollars

    resp = client.patch("/api/me", json={"locale": "fr", "currency": "EUR"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["locale"] == "fr" and resp.json()["currency"] == "EUR"
    assert resp.cookies.get("exstrat_locale") == "fr"  # this browser's pages follow at once
    assert client.get("/api/me").json()["currency"] == "EUR"


def test_a_choice_we_do_not_offer_is_refused_in_the_readers_language(
    client: Any, make_user: Any
) -> None:
    user = make_user("pref2@example.com")
    sign_in(client, user.id)
    resp = client.patch("/api/me", json={"currency": "GBP"}, headers={"Accept-Language": "fr"})
    assert resp.status_code == 422
    body = resp.json()["error"]
    assert body["code"] == "invalid"  # the code never changes with the language
    assert "currency" in body["fields"]
    assert body["message"] != "Some fields are invalid."  # French, not English


def test_signing_in_brings_the_saved_language_to_this_browser(client: Any, make_user: Any) -> None:
    from exstrat_app import bootstrap
    from exstrat_app.services import auth

    user = make_user("pref3@example.com")
    with bootstrap.unit_of_work() as session:
        auth.change_preferences(session, user.id, locale="fr")
    client.cookies.clear()
    resp = client.post("/api/auth/login", json={"email": "pref3@example.com", "password": _pw()})
    assert resp.status_code == 200, resp.text
    assert resp.cookies.get("exstrat_locale") == "fr"


def _pw() -> str:
    from tests.api.conftest import PASSWORD

    return PASSWORD


def test_a_new_currency_queues_the_figures_rebuild(client: Any, make_user: Any, redis: Any) -> None:
    from rq import Queue

    from exstrat_app.infra.queue import INGEST_QUEUE, REFIGURE_JOB, safe_job_id
    from jobs.history import refigure_user

    user = make_user("pref4@example.com")
    sign_in(client, user.id)
    job_id = safe_job_id("refigure", user.id)
    client.patch("/api/me", json={"currency": "USD"})  # no change: nothing to rebuild
    assert job_id not in Queue(INGEST_QUEUE, connection=redis).job_ids

    assert client.patch("/api/me", json={"currency": "EUR"}).status_code == 200
    queued = Queue(INGEST_QUEUE, connection=redis).fetch_job(job_id)
    assert queued is not None and queued.func_name == REFIGURE_JOB
    assert refigure_user(user.id) == 0  # no history yet: it runs and writes no day
