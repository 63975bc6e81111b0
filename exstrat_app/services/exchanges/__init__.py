"""The exchanges-and-sync context: connected exchange accounts and their ingestion.

    accounts.py       add (key checked, sealed), list, show, delete; `AccountView`
    key_check.py      the key must read and must not trade or withdraw
    sealing.py        the key at rest: sealed columns, credentials for the sync
    key_rotation.py   re-seal every key with the current ENCRYPTION_KEY (commits per row)
    scheduling.py     sync runs on the `ingest` queue: request, chain, periodic re-sync
    runner.py         one step of a run (commits per page), its errors as sentences
    context.py        what a step works with (`SyncEnv`, `StepContext`), progress
    store.py          trades, transfers, balances and cursors into the database
    sync_binance.py   Binance's steps          sync_coinbase.py   Coinbase's steps
    demo_guard.py     demo accounts talk only to the local simulated exchange

Imports run one way: runner -> sync_* -> context/store; scheduling -> accounts ->
key_check/sealing and the portfolio context (positions rebuilt after a deletion).
"""
