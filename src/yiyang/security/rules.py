"""Pure decisions of sign-in: attempt counters, lockout and session expiry (values in and out)."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

RATE_WINDOW = timedelta(minutes=1)
# last_used_at is written at most this often, so that not every request writes.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Limits:
    """How many unsuccessful attempts one key (an account or a client address) may make."""

    per_minute: int
    max_failures: int
    failure_window: timedelta
    lockout: timedelta


@dataclass(frozen=True)
class Counter:
    """The attempts of one key: unsuccessful ones this minute, failures this window, a lock."""

    window_started_at: datetime | None = None
    attempts: int = 0
    failures_since: datetime | None = None
    failures: int = 0
    locked_until: datetime | None = None


class Refusal(StrEnum):
    """Why an attempt is not even checked."""

    LOCKED = "locked"
    RATE_LIMITED = "rate_limited"


@dataclass(frozen=True)
class Refused:
    """An attempt refused before its credentials are looked at, and until when."""

    reason: Refusal
    until: datetime

    def retry_after(self, now: datetime) -> int:
        """Whole seconds to wait (at least one), for the Retry-After header."""
        return max(1, math.ceil((self.until - now).total_seconds()))


def _fresh(counter: Counter, limits: Limits, now: datetime) -> Counter:
    """Forget an expired lock, failures past their window and last minute's attempts."""
    if counter.locked_until is not None and counter.locked_until <= now:
        counter = replace(counter, locked_until=None, failures=0, failures_since=None)
    if counter.failures_since is not None and counter.failures_since + limits.failure_window <= now:
        counter = replace(counter, failures=0, failures_since=None)
    if counter.window_started_at is None or counter.window_started_at + RATE_WINDOW <= now:
        counter = replace(counter, window_started_at=now, attempts=0)
    return counter


def admit(counter: Counter, limits: Limits, now: datetime) -> Counter | Refused:
    """Admit one attempt and count it as unsuccessful until it proves otherwise, or refuse.

    Counting before the check is what keeps parallel attempts from slipping past the limit:
    each one is counted, under the key's row lock, before any password is looked at.
    """
    if counter.locked_until is not None and counter.locked_until > now:
        return Refused(Refusal.LOCKED, counter.locked_until)
    counter = _fresh(counter, limits, now)
    if counter.attempts >= limits.per_minute:
        return Refused(Refusal.RATE_LIMITED, (counter.window_started_at or now) + RATE_WINDOW)
    failures = counter.failures + 1
    return replace(
        counter,
        attempts=counter.attempts + 1,
        failures=failures,
        failures_since=counter.failures_since or now,
        locked_until=now + limits.lockout if failures >= limits.max_failures else None,
    )


def succeeded(counter: Counter, limits: Limits, *, forget_failures: bool) -> Counter:
    """Take back what admit counted for an attempt that proved right.

    An account that completes its sign-in forgets its failures; a client address, or an
    account still owing its second factor, only takes back this one attempt.
    """
    failures = 0 if forget_failures else max(0, counter.failures - 1)
    return replace(
        counter,
        attempts=max(0, counter.attempts - 1),
        failures=failures,
        failures_since=counter.failures_since if failures else None,
        locked_until=counter.locked_until if failures >= limits.max_failures else None,
    )


def now_locked(counter: Counter, now: datetime) -> bool:
    """True when the counter holds a lock that is still running."""
    return counter.locked_until is not None and counter.locked_until > now


@dataclass(frozen=True)
class TokenTimes:
    """The times that decide whether a session or API token still works."""

    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenState(StrEnum):
    """Whether a token works, and if not, why."""

    ACTIVE = "active"
    REVOKED = "revoked"
    EXPIRED = "expired"
    IDLE = "idle"


def token_state(times: TokenTimes, idle: timedelta, now: datetime) -> TokenState:
    """Revoked, past its absolute lifetime, unused longer than the idle limit, or active."""
    if times.revoked_at is not None:
        return TokenState.REVOKED
    if times.expires_at <= now:
        return TokenState.EXPIRED
    if (times.last_used_at or times.created_at) + idle <= now:
        return TokenState.IDLE
    return TokenState.ACTIVE


def needs_touch(times: TokenTimes, now: datetime) -> bool:
    """Write last_used_at only when it is older than TOUCH_EVERY."""
    return times.last_used_at is None or times.last_used_at + TOUCH_EVERY <= now
