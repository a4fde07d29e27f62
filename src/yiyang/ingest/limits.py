"""Per-device rate limit (a token bucket each) and the aggregation of what it drops.

A device is known here by the identity it claims (topic or payload), before the database is
asked, so a flood costs memory and a counter, not a query per message; the price is that a
sender forging another device's identity spends that device's allowance (the broker's ACL,
or the token check that follows, keeps it from doing more). The buckets are a process's; the
ingest processes of a group each take their share of the rate (members.py).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

MAX_BUCKETS = 200_000  # full buckets are forgotten past this many


@dataclass
class _Bucket:
    tokens: float
    at: float


@dataclass
class TokenBuckets:
    """`rate` messages a second on average and `burst` at once, per key; thread-safe."""

    rate: float
    burst: int
    _buckets: dict[str, _Bucket] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def resize(self, rate: float, burst: int) -> None:
        """A new rate and burst for every key (tokens above the burst go at the next take)."""
        with self._lock:
            self.rate, self.burst = rate, burst

    def allow(self, key: str, now: float) -> bool:
        """Take one token from the key's bucket; False when it is empty."""
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                if len(self._buckets) >= MAX_BUCKETS:
                    self._forget_full(now)
                bucket = self._buckets[key] = _Bucket(float(self.burst), now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
            bucket.at = now
            if bucket.tokens < 1:
                return False
            bucket.tokens -= 1
            return True

    def _forget_full(self, now: float) -> None:
        full = [
            k for k, b in self._buckets.items() if b.tokens + (now - b.at) * self.rate >= self.burst
        ]
        for key in full:
            del self._buckets[key]


@dataclass
class Flood:
    """Dropped messages of one key in the current window."""

    channel: str
    ref: str
    first_at: float
    sample: bytes
    count: int = 0


@dataclass
class FloodCounter:
    """Counts drops per key and hands back one summary per key and window (one dead letter)."""

    window_s: float = 60.0
    _floods: dict[str, Flood] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def drop(self, key: str, *, channel: str, ref: str, raw: bytes, now: float) -> None:
        """Count one dropped message."""
        with self._lock:
            flood = self._floods.get(key)
            if flood is None:
                flood = self._floods[key] = Flood(channel, ref, now, raw[:512])
            flood.count += 1

    def due(self, now: float, *, all_: bool = False) -> list[tuple[str, Flood]]:
        """The floods whose window ended (or all of them), removed from the counter."""
        with self._lock:
            keys = [k for k, f in self._floods.items() if all_ or now - f.first_at >= self.window_s]
            return [(k, self._floods.pop(k)) for k in keys]
