"""Run a coroutine to completion from a synchronous test, whatever loop the thread has.

Playwright's sync API (the browser tests' session fixtures) leaves an event loop running in
the main thread, and `asyncio.run` refuses to start inside one: the coroutine runs in a
thread of its own instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()
