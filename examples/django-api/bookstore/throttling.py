"""Throttling in O(1) per request: a counter per caller and fixed window, one atomic increment in the shared cache.

DRF's own throttles keep a list of every request's time in the last period and rewrite it at each request: at
1,200 requests a minute that is a 1,200-entry list read, pickled and written (a database write on Django's database
cache) per request. These count instead: ``rate`` requests per window of the rate's period, windows aligned on the
clock, so a caller may make up to twice the rate across a window boundary — the usual trade of fixed windows, and
why the rates are limits against floods, not quotas. ``Retry-After`` is the time left in the window. The rates are
DRF's (``DEFAULT_THROTTLE_RATES``: ``anon``, ``user``), the cache key DRF's (per user, or per client address for
anonymous callers).

The client's address is the connection's (``REMOTE_ADDR``): a client's own ``X-Forwarded-For`` is ignored, so a new
header value is not a new bucket. Behind ``KOKO_API_TRUSTED_PROXIES`` = n proxies (DRF's ``NUM_PROXIES``), it is the
n-th address from the end of ``X-Forwarded-For``, the one the outermost trusted proxy appended (``client_address``).

``FailureCounter`` counts failed credentials the same way — failed logins per username and per address (the
``login`` rate), failed token authentications per address (``bad_token``) — and refuses further attempts, without
checking them, once a key reached the rate in the current window.
"""

from __future__ import annotations

import hashlib
import time
from typing import Iterable, Optional, Tuple

from django.core.cache import cache
from rest_framework.throttling import AnonRateThrottle, BaseThrottle, SimpleRateThrottle, UserRateThrottle

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def client_address(request) -> str:
    """The client's address, as the throttles key it (DRF's ``get_ident`` under ``NUM_PROXIES``): ``REMOTE_ADDR``,
    or with n trusted proxies the n-th address from the end of ``X-Forwarded-For``."""
    return BaseThrottle().get_ident(request)


def parse_rate(rate: str) -> Tuple[int, int]:
    """DRF's rate format: ``"10/hour"`` is ``(10, 3600)`` (the period's first letter: s, m, h or d)."""
    count, period = rate.split("/")
    return int(count), PERIODS[period[0]]


def now() -> float:
    return time.time()


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


class FailureCounter:
    """Failed attempts per key (a username, a client address) in fixed windows of the period of the rate named
    ``scope`` (``DEFAULT_THROTTLE_RATES``; without one, nothing is counted), one counter per key and window in the
    shared cache. ``refused`` answers the seconds left in the window once any of the keys reached the rate (the
    caller then refuses the attempt without checking it), ``failed`` counts a failure against each key. Keys are
    hashed: a username of any length or characters makes a valid cache key."""

    def __init__(self, scope: str) -> None:
        self.scope = scope

    def _window(self) -> Optional[Tuple[int, int, float, int]]:
        """``(limit, period, now, window)``, or None when the scope has no rate (then nothing is counted)."""
        rate = SimpleRateThrottle.THROTTLE_RATES.get(self.scope)  # where DRF's throttles read theirs
        if rate is None:
            return None
        limit, period = parse_rate(rate)
        at = now()
        return limit, period, at, int(at // period)

    def _key(self, kind: str, ident: str, window: int) -> str:
        digest = hashlib.sha256(f"{kind}:{ident}".encode("utf-8", "surrogatepass")).hexdigest()
        return f"koko:{self.scope}:{digest}:{window}"

    def refused(self, keys: Iterable[Tuple[str, str]]) -> Optional[float]:
        """Seconds until the window ends if one of ``keys`` (``(kind, ident)`` pairs) reached the rate, else None."""
        current = self._window()
        if current is None:
            return None
        limit, period, at, window = current
        counts = cache.get_many([self._key(kind, ident, window) for kind, ident in keys])
        if any(count >= limit for count in counts.values()):
            return max((window + 1) * period - at, 1.0)
        return None

    def failed(self, keys: Iterable[Tuple[str, str]]) -> None:
        current = self._window()
        if current is None:
            return
        _limit, period, _at, window = current
        for kind, ident in keys:
            key = self._key(kind, ident, window)
            cache.add(key, 0, period + 1)
            try:
                cache.incr(key)
            except ValueError:  # the counter expired between add() and incr()
                cache.set(key, 1, period + 1)
