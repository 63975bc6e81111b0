"""Apply the Alembic migration chain (used by `up`, `migrate` and the tests)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from alembic import command

ROOT = Path(__file__).resolve().parents[3]


def alembic_config(database_url: str | None = None) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    config.attributes["configure_logger"] = False
    if database_url:
        config.attributes["database_url"] = database_url
    return config


def upgrade_to_head(database_url: str | None = None) -> None:
    command.upgrade(alembic_config(database_url), "head")


@lru_cache(maxsize=1)
def script_heads() -> tuple[str, ...]:
    """The head revision(s) of the migration chain this code ships (read once per process:
    the scripts do not change under a running process)."""
    return tuple(sorted(ScriptDirectory.from_config(alembic_config()).get_heads()))


def database_heads(connection: Connection) -> tuple[str, ...]:
    """The revision(s) the database is at; empty when no migration was ever applied."""
    return tuple(sorted(MigrationContext.configure(connection).get_current_heads()))
