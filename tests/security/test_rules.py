"""Pure sign-in decisions: attempt counters, lockout, and when a token stops working."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from yiyang.security import rules
from yiyang.security.rules import Counter, Limits, Refusal, Refused, TokenState, TokenTimes
from yiyang.security.throttle import client_key

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
LIMITS = Limits(
    per_minute=3,
    max_failures=5,
    failure_window=timedelta(minutes=15),
    lockout=timedelta(minutes=15),
)


def _admitted(counter: Counter, now: datetime) -> Counter:
    decision = rules.admit(counter, LIMITS, now)
    assert isinstance(decision, Counter), decision
    return decision


def _fail_times(n: int, step: timedelta = timedelta(seconds=30)) -> tuple[Counter, datetime]:
    counter, now = Counter(), T0
    for _ in range(n):
        counter = _admitted(counter, now)
        now += step
    return counter, now


def test_an_attempt_counts_as_unsuccessful_until_it_proves_right() -> None:
    counter = _admitted(Counter(), T0)
    assert (counter.attempts, counter.failures, counter.locked_until) == (1, 1, None)
    assert counter.failures_since == T0


def test_the_fifth_failure_locks_and_the_lock_refuses_even_a_right_password() -> None:
    counter, now = _fail_times(5)
    assert counter.locked_until == T0 + timedelta(minutes=2) + LIMITS.lockout
    refused = rules.admit(counter, LIMITS, now)
    assert isinstance(refused, Refused) and refused.reason is Refusal.LOCKED
    assert refused.until == counter.locked_until
    assert refused.retry_after(now) == int((refused.until - now).total_seconds())


def test_a_lock_ends_and_the_account_starts_afresh() -> None:
    counter, _ = _fail_times(5)
    assert counter.locked_until is not None
    later = counter.locked_until
    again = _admitted(counter, later)
    assert (again.failures, again.locked_until) == (1, None)


def test_failures_older_than_the_window_are_forgotten() -> None:
    counter, now = _fail_times(4)
    late = _admitted(counter, T0 + LIMITS.failure_window)
    assert late.failures == 1 and late.locked_until is None
    assert rules.admit(counter, LIMITS, now).failures == 5  # type: ignore[union-attr]


def test_more_than_the_minute_allows_is_rate_limited_until_the_window_ends() -> None:
    counter = Counter()
    for second in range(3):
        counter = _admitted(counter, T0 + timedelta(seconds=second))
    refused = rules.admit(counter, LIMITS, T0 + timedelta(seconds=10))
    assert isinstance(refused, Refused) and refused.reason is Refusal.RATE_LIMITED
    assert refused.until == T0 + rules.RATE_WINDOW
    assert refused.retry_after(T0 + timedelta(seconds=10)) == 50
    assert isinstance(rules.admit(counter, LIMITS, T0 + rules.RATE_WINDOW), Counter)


def test_retry_after_is_at_least_one_second() -> None:
    assert Refused(Refusal.LOCKED, T0).retry_after(T0) == 1
    assert Refused(Refusal.LOCKED, T0 + timedelta(milliseconds=10)).retry_after(T0) == 1


def test_a_completed_sign_in_forgets_the_accounts_failures() -> None:
    counter, _ = _fail_times(4)
    right = _admitted(counter, T0 + timedelta(minutes=3))
    assert right.locked_until is not None  # the fifth attempt holds the lock while checked
    done = rules.succeeded(right, LIMITS, forget_failures=True)
    assert (done.failures, done.failures_since, done.locked_until) == (0, None, None)


def test_a_right_attempt_only_takes_itself_back_when_failures_are_kept() -> None:
    counter, _ = _fail_times(4)
    right = _admitted(counter, T0 + timedelta(minutes=3))
    back = rules.succeeded(right, LIMITS, forget_failures=False)
    assert (back.failures, back.locked_until) == (4, None)
    assert back.attempts == right.attempts - 1


def test_parallel_attempts_cannot_pass_the_limit() -> None:
    """Each admitted attempt is counted before any check: the sixth is refused at once."""
    counter = Counter()
    outcomes = []
    for _ in range(8):
        decision = rules.admit(counter, Limits(10, 5, LIMITS.failure_window, LIMITS.lockout), T0)
        outcomes.append(isinstance(decision, Counter))
        if isinstance(decision, Counter):
            counter = decision
    assert outcomes == [True] * 5 + [False] * 3


def _times(**changes: datetime | None) -> TokenTimes:
    base: dict[str, datetime | None] = {
        "created_at": T0,
        "expires_at": T0 + timedelta(hours=12),
        "last_used_at": None,
        "revoked_at": None,
    }
    base.update(changes)
    return TokenTimes(**base)  # type: ignore[arg-type]


def test_token_states() -> None:
    idle = timedelta(minutes=30)
    assert rules.token_state(_times(), idle, T0 + timedelta(minutes=29)) is TokenState.ACTIVE
    assert rules.token_state(_times(), idle, T0 + timedelta(minutes=30)) is TokenState.IDLE
    used = _times(last_used_at=T0 + timedelta(minutes=25))
    assert rules.token_state(used, idle, T0 + timedelta(minutes=50)) is TokenState.ACTIVE
    assert rules.token_state(used, idle, T0 + timedelta(hours=13)) is TokenState.EXPIRED
    revoked = _times(revoked_at=T0)
    assert rules.token_state(revoked, idle, T0) is TokenState.REVOKED


def test_last_used_is_written_at_most_once_a_minute() -> None:
    assert rules.needs_touch(_times(), T0)
    recent = _times(last_used_at=T0)
    assert not rules.needs_touch(recent, T0 + timedelta(seconds=59))
    assert rules.needs_touch(recent, T0 + timedelta(seconds=60))


def test_client_keys_take_an_ipv6_address_with_its_slash_64() -> None:
    assert client_key("203.0.113.9") == "client:203.0.113.9"
    one = client_key("2001:db8:1:2:aaaa::1")
    assert one == client_key("2001:db8:1:2:ffff::9") == "client:2001:db8:1:2::/64"
    assert client_key("2001:db8:1:3::1") != one
    assert client_key("testclient") == "client:testclient"
