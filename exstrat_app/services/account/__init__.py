"""A person's data as a whole (docs/account-data.md): what of the database is theirs
(`data_map`: one rule per table), taking all of it away as a zip (`archive`), and deleting
the account with every row of theirs (`erasure`). The caller owns the unit of work."""
