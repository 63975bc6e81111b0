"""The rules of what is a person's data cover every table and column of the schema: a table or
column added later fails here until someone decides whether it is exported, which of its
columns stay out and why, and how its rows are found to be deleted (docs/account-data.md)."""

from __future__ import annotations

from sqlalchemy import LargeBinary
from sqlmodel import SQLModel

import exstrat_app.models  # noqa: F401 - every table in the metadata
from exstrat_app.services.account.data_map import RULES, USERS, erasure_order

# Column names that smell of a secret: never in an export, whatever the table.
SECRET_WORDS = ("hash", "secret", "_enc", "password", "jti", "token", "fingerprint")
# ...unless a reviewer decided otherwise, and said why.
NOT_SECRETS = {"value_history_state.fingerprint": "a digest of the history's inputs"}


def test_every_table_has_a_rule_and_every_rule_a_table() -> None:
    tables = set(SQLModel.metadata.tables)
    assert tables - set(RULES) == set(), "tables with no rule: add them to data_map.RULES"
    assert set(RULES) - tables == set(), "rules of tables that do not exist"


def test_every_column_of_an_exported_table_is_exported_or_left_out_with_a_reason() -> None:
    for name, rule in RULES.items():
        columns = {c.name for c in SQLModel.metadata.tables[name].columns}
        if rule.file is None:
            assert rule.reason, f"{name}: say why it is not exported"
            assert not rule.columns and not rule.left_out, name
            continue
        written, left_out = set(rule.columns), set(rule.left_out)
        assert len(written) == len(rule.columns), f"{name}: a column listed twice"
        assert written & left_out == set(), f"{name}: both exported and left out"
        assert written | left_out == columns, (
            f"{name}: columns not decided: {sorted(columns - written - left_out)}; "
            f"unknown: {sorted((written | left_out) - columns)}"
        )
        assert all(why.strip() for why in rule.left_out.values()), name


def test_no_binary_or_secret_looking_column_is_ever_exported() -> None:
    for name, rule in RULES.items():
        table = SQLModel.metadata.tables[name]
        for column in rule.columns:
            assert not isinstance(table.c[column].type, LargeBinary), f"{name}.{column}"
            if f"{name}.{column}" not in NOT_SECRETS:
                assert not any(word in column for word in SECRET_WORDS), f"{name}.{column}"


def test_file_names_are_unique() -> None:
    files = [rule.file for rule in RULES.values() if rule.file]
    assert len(files) == len(set(files))
    assert RULES[USERS].file == "user.json"


def test_every_table_that_can_hold_a_users_rows_is_erased() -> None:
    """A table with a user_id column, or a foreign key to a table holding a user's rows, has
    an owner (so deleting an account empties it); the owner's column and parent exist."""
    owned = {name for name, rule in RULES.items() if rule.owner is not None}
    for table in SQLModel.metadata.sorted_tables:  # parents first
        rule = RULES[table.name]
        points_at_owned = {fk.column.table.name for fk in table.foreign_keys} & owned
        if "user_id" in table.c or points_at_owned:
            assert rule.owner is not None, f"{table.name} holds a user's rows: give it an owner"
        if rule.owner is not None:
            assert rule.owner.column in table.c, table.name
            assert rule.owner.parent in owned, table.name
            if rule.owner.parent != USERS:
                assert any(
                    fk.parent.name == rule.owner.column
                    and fk.column.table.name == rule.owner.parent
                    for fk in table.foreign_keys
                ), f"{table.name}.{rule.owner.column} is no foreign key to {rule.owner.parent}"
        else:
            assert rule.reason, table.name


def test_erasure_goes_children_first_and_ends_with_the_user() -> None:
    order = erasure_order()
    assert order[-1] == USERS
    position = {name: i for i, name in enumerate(order)}
    for name in order:
        for fk in SQLModel.metadata.tables[name].foreign_keys:
            parent = fk.column.table.name
            if parent in position and parent != name:
                assert position[name] < position[parent], f"{name} after its parent {parent}"
