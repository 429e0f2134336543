"""Throttling in O(1) per request: a counter per caller and fixed window, one atomic increment in the shared cache.

DRF's own throttles keep a list of every request's time in the last period and rewrite it at each request: at
1,200 requests a minute that is a 1,200-entry list read, pickled and written (a database write on Django's database
cache) per request. These count instead: ``rate`` requests per window of the rate's period, windows aligned on the
clock, so a caller may make up to twice the rate across a window boundary — the usual trade of fixed windows, and
why the rates are limits against floods, not quotas. ``Retry-After`` is the time left in the window. The rates are
DRF's (``DEFAULT_THROTTLE_RATES``: ``anon``, ``user``), the cache key DRF's (per user, or per client address for
anonymous callers).
"""

from __future__ import annotations

from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class FixedWindowCounter:
    """``allow_request`` and ``wait`` for a ``SimpleRateThrottle`` subclass: count in the cache, don't keep times."""

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_ends = (window + 1) * self.duration
        key = f"{self.key}:{window}"
        # add() stores 0 only if the window's counter does not exist yet; incr() is atomic in the local-memory
        # and Redis caches (a read and a write on the database cache, as DRF's own throttles do).
        self.cache.add(key, 0, self.duration + 1)
        try:
            count = self.cache.incr(key)
        except ValueError:  # the counter expired between add() and incr()
            self.cache.set(key, 1, self.duration + 1)
            count = 1
        return count <= self.num_requests

    def wait(self) -> float:
        """Seconds until the window ends (at least one)."""
        return max(self.window_ends - self.now, 1.0)


class AnonThrottle(FixedWindowCounter, AnonRateThrottle):
    """Anonymous callers, per client address: the ``anon`` rate."""


class UserThrottle(FixedWindowCounter, UserRateThrottle):
    """Authenticated callers, per user: the ``user`` rate."""
