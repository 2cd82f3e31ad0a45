"""Fixed counting windows: check budgets and the proxy's rate limit, shared by every process that serves.

By default the counts are rows of the database the app already has (CountingWindow): one
statement per use, an atomic upsert (INSERT ... ON CONFLICT DO UPDATE ... RETURNING, SQLite 3.35+
and PostgreSQL), so every gunicorn process and every app server on that database shares one count
with no server to install. With REDIS_URL (or CACHE_URL) they live in Django's cache instead,
created with `cache.add` and spent with `cache.incr`, both atomic in Redis: the choice for many
app servers, or a busy proxy.
"""
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from credentials_app.models import CountingWindow


def clock() -> float:
    """Return the current time in seconds: the one clock every counting window reads."""
    return time.time()


@dataclass(frozen=True)
class Spent:
    count: int
    retry_after: int


def spend_one(name: str, *, seconds: int) -> Spent:
    """Count one use in name's current window of seconds; return the count so far and when it ends."""
    now = clock()
    window_start = int(now // seconds) * seconds
    counter = f"{name}:{window_start}"
    # The counter outlives its window by as long again, so an app server whose clock is behind
    # never finds it expired and starts the window's count again.
    lifetime = 2 * seconds
    if settings.COUNTING_WINDOWS_IN_CACHE:
        count = _spend_in_cache(counter, lifetime)
    else:
        count = _spend_in_database(counter, now=now, expires_at=now + lifetime)
    return Spent(count=count, retry_after=max(1, math.ceil(window_start + seconds - now)))


def _spend_in_cache(counter: str, lifetime: int) -> int:
    cache.add(counter, 0, timeout=lifetime)
    try:
        return cache.incr(counter)
    except ValueError:  # Evicted between add and incr: this use starts the window again.
        cache.add(counter, 1, timeout=lifetime)
        return 1


def _spend_in_database(counter: str, *, now: float, expires_at: float) -> int:
    table, quote = CountingWindow._meta.db_table, connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(table)} (counter, count, expires_at) VALUES (%s, 1, %s) "
            f"ON CONFLICT (counter) DO UPDATE SET count = {quote(table)}.count + 1 RETURNING count",
            [counter, expires_at],
        )
        [count] = cursor.fetchone()
        if count == 1:
            # A new window: the first use of each clears the windows that have expired, once a window.
            cursor.execute(f"DELETE FROM {quote(table)} WHERE expires_at < %s", [now])
    return count
