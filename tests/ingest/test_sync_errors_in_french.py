"""A failed sync says why in its owner's language: the words stored on the account are
written for the person who reads them, by a worker whose own language is English."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from exstrat_app.domain.errors import PriceUnavailable
from exstrat_app.i18n import N_, current_locale, render, use_locale
from exstrat_app.infra import exchanges as xa
from exstrat_app.infra.crypto import SecretBox, SecretUnreadable
from exstrat_app.models import ExchangeAccount, User
from exstrat_app.services.exchanges import runner, scheduling

NBSP, NNBSP = "\u00a0", "\u202f"


def account_row(db: Any, account_id: str) -> ExchangeAccount:
    db.expire_all()
    return db.get(ExchangeAccount, account_id)


def speak(db: Any, user: Any, locale: str | None) -> None:
    row = db.get(User, user.id)
    row.locale = locale
    db.add(row)
    db.commit()


def revoke(db: Any, account_id: str) -> None:
    """The key is revoked on Binance: its secret no longer signs."""
    row = account_row(db, account_id)
    row.api_secret_enc = SecretBox.from_settings().seal(
        "no-longer-valid", row_id=row.id, column="api_secret"
    )
    db.add(row)
    db.commit()


def test_a_revoked_key_is_explained_in_french_to_a_french_reader(
    db: Any, redis: Any, sim: Any, make_user: Any, add_account: Any, run_worker: Any
) -> None:
    user = make_user()
    speak(db, user, "fr")
    account = add_account(user)
    revoke(db, account.id)

    scheduling.request_sync(db, user_id=user.id, account_id=account.id, redis=redis)
    run_worker()

    row = account_row(db, account.id)
    assert row.status == "error"
    assert row.last_error == (
        "Binance a rejeté la clé API ou le secret (mauvaise clé, mauvais secret, ou IP non "
        f"autorisée). Vérifiez la clé sur Binance{NBSP}: elle a peut-être été supprimée, sa "
        "liste d'IP autorisées n'inclut peut-être pas ce serveur, ou la lecture a peut-être "
        "été désactivée."
    )
    assert current_locale() == "en"


def test_the_same_failure_reads_in_english_without_a_choice(
    db: Any, redis: Any, sim: Any, make_user: Any, add_account: Any, run_worker: Any
) -> None:
    user = make_user()
    account = add_account(user)
    revoke(db, account.id)
    scheduling.request_sync(db, user_id=user.id, account_id=account.id, redis=redis)
    run_worker()
    assert account_row(db, account.id).last_error.startswith(
        "Binance rejected the API key or secret (wrong key, wrong secret, or IP not allowed). "
        "Check the key on Binance: it may have been deleted"
    )


def test_every_sync_failure_has_french_words() -> None:
    at = datetime(2026, 3, 1, 10, 1, tzinfo=UTC)
    words = {
        "temporary": runner.error_message("binance", xa.ExchangeTemporaryError(
            N_("{exchange} is not answering properly right now.", exchange="Binance"))),
        "key": runner.error_message("binance", SecretUnreadable("x")),
        "price": runner.error_message("binance", PriceUnavailable("ETH", at)),
        "crash": runner.error_message("binance", RuntimeError("boom")),
    }  # fmt: skip
    with use_locale("fr"):
        french = {name: render(message) for name, message in words.items()}
    assert french["temporary"] == (
        "Binance ne répond pas correctement pour le moment. La synchronisation s'est arrêtée "
        f"après plusieurs tentatives{NBSP}; elle reprendra à la prochaine synchronisation."
    )
    assert french["key"].startswith("La clé API enregistrée ne peut plus être déchiffrée")
    assert french["price"] == (
        f"Impossible de valoriser ETH le 1 mars 2026 10:01 UTC{NBSP}: Binance n'a pas de prix "
        "pour cette minute. Les positions n'ont pas été mises à jour."
    )
    assert french["crash"].startswith("La synchronisation a échoué de façon inattendue")
    # The English stays what the English reader always read.
    assert render(words["price"]) == (
        f"Could not value ETH at Mar 1, 2026 10:01{NNBSP}AM UTC: Binance has no price for that "
        "minute. Positions were not updated."
    )


def test_a_failed_run_keeps_its_pages_and_stores_the_owners_words(db: Any, make_user: Any) -> None:
    """`fail` itself: the account's owner reads French, the words are French."""
    user = make_user()
    speak(db, user, "fr")
    account = ExchangeAccount(
        user_id=user.id, exchange="binance", api_key_enc=b"", api_secret_enc=b"", key_id="k"
    )
    db.add(account)
    db.commit()

    class Ctx:
        def __init__(self, session: Session) -> None:
            self.session, self.account = session, account

        def progress(self, **_: Any) -> None:
            pass

    runner.fail(Ctx(db), runner.UNEXPECTED_ERROR)  # type: ignore[arg-type]
    db.commit()
    assert account_row(db, account.id).last_error == (
        f"La synchronisation a échoué de façon inattendue{NBSP}; l'erreur a été journalisée. "
        "Réessayez plus tard."
    )
