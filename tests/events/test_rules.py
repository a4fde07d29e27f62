"""Back-off between outbox tries: exponential, capped, jittered within the upper half of a step."""

from __future__ import annotations

from datetime import timedelta

import pytest

from yiyang.events.rules import RetryPolicy, gives_up, retry_delay

POLICY = RetryPolicy(max_attempts=5, base_seconds=10, cap_seconds=300)


@pytest.mark.parametrize(("attempts", "step"), [(1, 10), (2, 20), (3, 40), (4, 80), (5, 160)])
def test_each_failure_doubles_the_step(attempts: int, step: float) -> None:
    assert retry_delay(attempts, POLICY, 0.0) == timedelta(seconds=step / 2)
    assert retry_delay(attempts, POLICY, 0.999999) < timedelta(seconds=step)
    assert retry_delay(attempts, POLICY, 0.5) == timedelta(seconds=step * 0.75)


def test_the_step_is_capped() -> None:
    assert retry_delay(30, POLICY, 0.0) == timedelta(seconds=150)
    assert retry_delay(30, POLICY, 0.999999) < timedelta(seconds=300)


def test_jitter_spreads_messages_that_failed_together() -> None:
    delays = {retry_delay(3, POLICY, r / 10) for r in range(10)}
    assert len(delays) == 10
    assert min(delays) >= timedelta(seconds=20) and max(delays) < timedelta(seconds=40)


def test_gives_up_after_the_last_try() -> None:
    assert not gives_up(4, POLICY)
    assert gives_up(5, POLICY)
    assert gives_up(6, POLICY)
