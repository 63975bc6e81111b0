"""API errors in the reader's language (docs/translations.md): the `message` and `fields`
follow the `exstrat_locale` cookie, else Accept-Language, else English; the `code` never
changes."""

from __future__ import annotations

from typing import Any

from exstrat_app.i18n import LOCALE_COOKIE
from tests.api.conftest import sign_in

NBSP = "\u00a0"
NOT_SIGNED_IN_FR = "Vous n'êtes pas connecté, ou votre session a expiré."
NOT_SIGNED_IN_EN = "You are not signed in, or your session has expired."


def error(answer: Any) -> dict[str, Any]:
    return dict(answer.json()["error"])


def test_a_service_error_is_in_french_for_accept_language_fr(client: Any) -> None:
    answer = client.get("/api/me", headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})
    assert answer.status_code == 401
    assert error(answer) == {"code": "unauthorized", "message": NOT_SIGNED_IN_FR, "fields": {}}


def test_the_locale_cookie_chooses_french_over_the_header(client: Any) -> None:
    client.cookies.set(LOCALE_COOKIE, "fr")
    answer = client.get("/api/me", headers={"Accept-Language": "en-US"})
    assert (answer.status_code, error(answer)["code"]) == (401, "unauthorized")
    assert error(answer)["message"] == NOT_SIGNED_IN_FR


def test_without_a_language_the_error_is_in_english(client: Any) -> None:
    answer = client.get("/api/me")
    assert error(answer) == {"code": "unauthorized", "message": NOT_SIGNED_IN_EN, "fields": {}}


def test_a_language_we_do_not_speak_falls_back_to_english(client: Any) -> None:
    answer = client.get("/api/me", headers={"Accept-Language": "de-DE"})
    assert error(answer)["message"] == NOT_SIGNED_IN_EN


def test_service_fields_are_in_french(client: Any) -> None:
    body = {"email": "not-an-email", "password": "short"}
    answer = client.post("/api/auth/signup", json=body, headers={"Accept-Language": "fr"})
    assert (answer.status_code, error(answer)["code"]) == (422, "invalid")
    assert error(answer)["message"] == "Certains champs ne sont pas valides."
    assert error(answer)["fields"] == {
        "email": "Saisissez une adresse e-mail valide, comme nom@exemple.com.",
        "password": f"Le mot de passe doit faire au moins 10{NBSP}caractères.",
    }


def test_a_validation_error_is_in_french(client: Any, make_user: Any) -> None:
    """FastAPI's own refusal: our sentence, and pydantic's per-field words translated."""
    sign_in(client, make_user().id)
    answer = client.patch("/api/me", json={"locale": "de"}, headers={"Accept-Language": "fr"})
    assert (answer.status_code, error(answer)["code"]) == (422, "invalid")
    assert error(answer)["message"] == "Certains champs ne sont pas valides."
    assert error(answer)["fields"] == {"locale": "La valeur doit être 'en' ou 'fr'"}


def test_a_validation_error_keeps_pydantics_english(client: Any, make_user: Any) -> None:
    sign_in(client, make_user().id)
    answer = client.patch("/api/me", json={"locale": "de"})
    assert error(answer)["message"] == "Some fields are invalid."
    assert error(answer)["fields"] == {"locale": "Input should be 'en' or 'fr'"}


def test_a_missing_field_and_bad_json_in_french(client: Any) -> None:
    fr = {"Accept-Language": "fr", "Content-Type": "application/json"}
    missing = client.post("/api/auth/login", json={"password": ""}, headers=fr)
    assert error(missing)["fields"] == {
        "email": "Champ obligatoire",
        "password": f"Le texte doit faire au moins 1{NBSP}caractère",
    }
    broken = client.post("/api/auth/login", content=b'{"email": ', headers=fr)
    assert error(broken) == {
        "code": "invalid",
        "message": "Le corps de la requête n'est pas du JSON valide.",
        "fields": {"body": "JSON invalide"},
    }


def test_a_success_message_is_in_french_too(client: Any) -> None:
    answer = client.post(
        "/api/auth/password/forgot",
        json={"email": "nobody@example.com"},
        headers={"Accept-Language": "fr"},
    )
    assert answer.status_code == 202
    assert answer.json()["message"].startswith("Si un compte existe pour cette adresse")


def test_an_unknown_route_is_in_french(client: Any) -> None:
    answer = client.get("/api/no-such-thing", headers={"Accept-Language": "fr"})
    assert error(answer) == {"code": "not_found", "message": "Introuvable", "fields": {}}
