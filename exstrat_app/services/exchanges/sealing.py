"""An account's key, secret and passphrase at rest: sealed with the secret box, opened only
for the sync (as ccxt credentials) and for key rotation.

Each ciphertext carries its account id and column as associated data: copied onto another
row or column it does not open. Nothing here logs or returns a secret in any other form.
"""

from __future__ import annotations

from exstrat_app.infra import exchanges as xa
from exstrat_app.infra.crypto import SecretBox
from exstrat_app.models import ExchangeAccount

# Sealed columns (the associated data's name) and the ExchangeAccount attribute holding each.
SEALED = (
    ("api_key", "api_key_enc"),
    ("api_secret", "api_secret_enc"),
    ("api_pass", "api_pass_enc"),
)


def _plain(credentials: xa.Credentials) -> dict[str, str | None]:
    return {
        "api_key": credentials.api_key,
        "api_secret": credentials.secret,
        "api_pass": credentials.password,
    }


def sealed_columns(
    box: SecretBox, *, account_id: str, credentials: xa.Credentials
) -> dict[str, bytes | None]:
    """The ExchangeAccount attributes holding the sealed credentials (None: nothing to seal).
    The account id must exist before sealing: it is every ciphertext's associated data."""
    values = _plain(credentials)
    sealed: dict[str, bytes | None] = {}
    for column, attr in SEALED:
        value = values[column]
        sealed[attr] = box.seal(value, row_id=account_id, column=column) if value else None
    return sealed


def credentials_for(account: ExchangeAccount, box: SecretBox) -> xa.Credentials:
    """Decrypted credentials, for the sync and key rotation only (raises SecretUnreadable)."""
    opened: dict[str, str | None] = {}
    for column, attr in SEALED:
        sealed = getattr(account, attr)
        opened[column] = (
            None
            if sealed is None
            else box.open(sealed, key_id=account.key_id, row_id=account.id, column=column)
        )
    return xa.Credentials(
        api_key=opened["api_key"] or "",
        secret=opened["api_secret"] or "",
        password=opened["api_pass"],
    )


def reseal(account: ExchangeAccount, credentials: xa.Credentials, box: SecretBox) -> None:
    """Seal the account's credentials again with the box's current key."""
    for attr, sealed in sealed_columns(box, account_id=account.id, credentials=credentials).items():
        setattr(account, attr, sealed)
    account.key_id = box.current_key_id
