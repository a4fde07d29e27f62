"""Pure outbox decisions: how long to wait before the next try, and when to give up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class RetryPolicy:
    """Tries before the dead letter, and the exponential back-off between them."""

    max_attempts: int
    base_seconds: float
    cap_seconds: float


def retry_delay(attempts: int, policy: RetryPolicy, rand: float) -> timedelta:
    """Wait after the `attempts`-th failed try: base·2^(n-1), capped, with equal jitter.

    `rand` in [0, 1) picks a point in the upper half of the step, so retries of messages that
    failed together spread out, yet never come back sooner than half the step.
    """
    step = min(policy.cap_seconds, policy.base_seconds * 2 ** max(0, attempts - 1))
    return timedelta(seconds=step / 2 + step / 2 * rand)


def gives_up(attempts: int, policy: RetryPolicy) -> bool:
    """True when the message has had all its tries and goes to the dead letter."""
    return attempts >= policy.max_attempts
