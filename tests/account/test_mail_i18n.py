"""Account emails in their recipient's language (docs/translations.md): the account's saved
`locale` (None: English), or, for an address with no account yet, the language of the
request that asked for it, whatever language the worker itself runs in."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path
from typing import Any

from exstrat_app.services.auth import account_mail
from exstrat_app.settings import get_settings
from tests.account.credentials_helpers import RESET_LINK, mails_to
from tests.api.conftest import PASSWORD, sign_in

NBSP = "\u00a0"
FR = {"Accept-Language": "fr"}
EN = {"Accept-Language": "en"}


def french(db: Any, user: Any) -> Any:
    user.locale = "fr"
    db.add(user)
    db.commit()
    return user


def only_mail(outbox: Path, email: str) -> EmailMessage:
    [message] = mails_to(outbox, email)
    return message


def test_a_reset_link_goes_in_the_accounts_language_not_the_requests(
    client: Any, person: Any, db: Any, outbox: Path
) -> None:
    ann = french(db, person("ann"))
    answer = client.post("/api/auth/password/forgot", json={"email": ann.email}, headers=EN)
    assert answer.status_code == 202
    message = only_mail(outbox, ann.email)
    text = str(message.get_content())
    assert message["Subject"] == "Réinitialisez votre mot de passe exstrat"
    assert text.startswith("Quelqu'un (vous, peut-être) a demandé à réinitialiser le mot de passe")
    assert f"pendant 60{NBSP}minutes" in text
    assert RESET_LINK.search(text)  # the link itself is untouched


def test_an_account_with_no_saved_language_gets_english(
    client: Any, person: Any, outbox: Path
) -> None:
    bob = person("bob")  # locale None
    client.post("/api/auth/password/forgot", json={"email": bob.email}, headers=FR)
    message = only_mail(outbox, bob.email)
    assert message["Subject"] == str(account_mail.RESET_SUBJECT) == "Reset your exstrat password"
    assert str(message.get_content()).startswith("Someone (perhaps you) asked to reset")


def test_the_password_changed_notice_is_in_french(
    client: Any, person: Any, db: Any, outbox: Path
) -> None:
    ann = french(db, person("ann"))
    sign_in(client, ann.id)
    body = {"currentPassword": PASSWORD, "newPassword": "lantern orbit cactus velvet"}
    assert client.post("/api/auth/password/change", json=body, headers=EN).status_code == 204
    message = only_mail(outbox, ann.email)
    assert message["Subject"] == "Le mot de passe de votre compte exstrat a été modifié"
    text = str(message.get_content())
    assert text.startswith(
        "Le mot de passe de votre compte exstrat vient d'être modifié. Tous les autres "
        "navigateurs connectés ont été déconnectés."
    )
    assert f"{get_settings().public_url.rstrip('/')}/forgot" in text


def test_the_goodbye_is_in_the_deleted_accounts_language(
    client: Any, person: Any, db: Any, outbox: Path
) -> None:
    ann = french(db, person("ann"))
    email = ann.email
    sign_in(client, ann.id)
    answer = client.request("DELETE", "/api/me", json={"password": PASSWORD}, headers=EN)
    assert answer.status_code == 204
    message = only_mail(outbox, email)
    assert message["Subject"] == "Votre compte exstrat a été supprimé"
    assert str(message.get_content()).startswith(
        f"Le compte exstrat de {email} a été supprimé, avec toutes ses données{NBSP}:"
    )


def test_a_sign_up_confirmation_is_in_the_requests_language(
    client: Any, person: Any, outbox: Path
) -> None:
    person("owner")  # not the instance's first account: this one waits for its link
    email = "nouvelle@example.com"
    body = {"email": email, "password": PASSWORD}
    assert client.post("/api/auth/signup", json=body, headers=FR).status_code == 201
    message = only_mail(outbox, email)
    assert message["Subject"] == "Confirmez votre compte exstrat"
    text = str(message.get_content())
    assert text.startswith("Bienvenue sur exstrat. Pour confirmer cette adresse e-mail")
    assert f"pendant 48{NBSP}heures" in text


def test_an_email_change_writes_to_each_address_in_its_language(
    client: Any, person: Any, db: Any, outbox: Path
) -> None:
    """The link goes to a new address (no account: the request's language, as the account
    saved none), the notice to the account's own (English: nothing saved)."""
    ann = person("ann")
    sign_in(client, ann.id)
    new = "ailleurs@example.com"
    body = {"newEmail": new, "password": PASSWORD}
    answer = client.post("/api/auth/email/change", json=body, headers=FR)
    assert answer.status_code == 202
    assert answer.json()["message"].startswith(f"Nous avons envoyé un lien à {new}{NBSP}:")
    link = only_mail(outbox, new)
    assert link["Subject"] == "Confirmez votre nouvel e-mail de connexion exstrat"
    notice = only_mail(outbox, ann.email)
    assert notice["Subject"] == "A change of your exstrat sign-in email was requested"
