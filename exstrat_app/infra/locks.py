"""Short Redis locks that only their holder releases.

`SET key token NX EX ttl` takes the lock; the release deletes the key only if it still holds
our token: a lock that expired (the holder was slow) and was taken again by another process
must not be deleted by the first holder. The expiry bounds how long a crashed holder blocks
the others.
"""

from __future__ import annotations

import uuid

from redis import Redis

# Compare-and-delete in one atomic step (a GET then a DEL could delete someone else's lock).
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


def acquire_lock(redis: Redis, key: str, ttl_seconds: int) -> str | None:
    """Take the lock `key` for at most `ttl_seconds`: our token, or None if it is held."""
    token = uuid.uuid4().hex
    if redis.set(key, token, nx=True, ex=ttl_seconds):
        return token
    return None


def release_lock(redis: Redis, key: str, token: str) -> bool:
    """Delete the lock only if it is still ours; True if it was."""
    return bool(redis.eval(_RELEASE, 1, key, token))
