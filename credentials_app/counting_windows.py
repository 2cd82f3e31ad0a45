"""Fixed counting windows in Django's cache: check budgets and the proxy's rate limit.

The counter for the current window is created with `cache.add` and spent with `cache.incr`, both
atomic in every cache backend, so app servers sharing one cache (Redis) share one count.
"""
import math
import time
from dataclasses import dataclass

from django.core.cache import cache


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
    cache.add(counter, 0, timeout=lifetime)
    try:
        count = cache.incr(counter)
    except ValueError:  # Evicted between add and incr: this use starts the window again.
        cache.add(counter, 1, timeout=lifetime)
        count = 1
    return Spent(count=count, retry_after=max(1, math.ceil(window_start + seconds - now)))
