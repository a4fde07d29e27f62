"""Sign-in limits per account and per client address, kept in rows that survive any request.

The edge runs each step in its own transaction: admit (before the credentials are checked),
then succeeded or failed (after). Nothing here commits.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from yiyang.config import Settings
from yiyang.errors import N_, DomainError
from yiyang.kit.localtime import CHINA_TZ
from yiyang.security import repository, rules
from yiyang.security.audit import service as audit
from yiyang.security.models import LoginThrottle
from yiyang.security.roles import Role
from yiyang.security.subject import Subject

ACCOUNT = "account:"
CLIENT = "client:"


class TooManyAttempts(DomainError):
    """A sign-in refused before its credentials were looked at; retry_after is in seconds."""

    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, *, code: str, retry_after: int, **params: Any) -> None:
        super().__init__(message, code=code, **params)
        self.retry_after = retry_after


@dataclass(frozen=True)
class ThrottlePolicy:
    """The limits of accounts and of client addresses."""

    account: rules.Limits
    client: rules.Limits

    @classmethod
    def of(cls, settings: Settings) -> ThrottlePolicy:
        """The limits the settings describe."""
        window = timedelta(minutes=settings.login_failure_window_minutes)
        lockout = timedelta(minutes=settings.login_lockout_minutes)
        return cls(
            account=rules.Limits(
                settings.login_attempts_per_minute, settings.login_max_failures, window, lockout
            ),
            client=rules.Limits(
                settings.login_client_attempts_per_minute,
                settings.login_client_max_failures,
                window,
                lockout,
            ),
        )

    def limits(self, key: str) -> rules.Limits:
        """The limits of an account key or a client key."""
        return self.account if key.startswith(ACCOUNT) else self.client


def account_key(username: str) -> str:
    """User names are compared as typed, trimmed and without case."""
    return ACCOUNT + username.strip().lower()[:64]


def client_key(address: str) -> str:
    """An IPv4 address counts alone; an IPv6 one with its /64, which one household holds."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return CLIENT + address[:45]
    if ip.version == 6:
        return CLIENT + str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return CLIENT + str(ip)


def _keys(username: str, address: str | None) -> list[str]:
    keys = [account_key(username)]
    if address:
        keys.append(client_key(address))
    return keys


def _counter(row: LoginThrottle) -> rules.Counter:
    return rules.Counter(
        row.window_started_at, row.attempts, row.failures_since, row.failures, row.locked_until
    )


def _store(row: LoginThrottle, counter: rules.Counter, now: datetime) -> None:
    row.window_started_at = counter.window_started_at
    row.attempts = counter.attempts
    row.failures_since = counter.failures_since
    row.failures = counter.failures
    row.locked_until = counter.locked_until
    row.updated_at = now


def _refusal(key: str, refused: rules.Refused, now: datetime) -> TooManyAttempts:
    retry = refused.retry_after(now)
    if refused.reason is rules.Refusal.RATE_LIMITED:
        return TooManyAttempts(
            N_("Too many sign-in attempts. Wait %(seconds)s seconds and try again."),
            code="rate_limited",
            retry_after=retry,
            seconds=retry,
        )
    until = refused.until.astimezone(CHINA_TZ).strftime("%H:%M")
    if key.startswith(ACCOUNT):
        message = N_(
            "This account is locked after too many failed sign-ins. Try again after %(time)s."
        )
    else:
        message = N_("Too many failed sign-ins from this address. Try again after %(time)s.")
    return TooManyAttempts(message, code="locked", retry_after=retry, time=until)


def admit(
    session: Session, username: str, address: str | None, policy: ThrottlePolicy, *, now: datetime
) -> None:
    """Count one attempt for the account and the address, or raise TooManyAttempts."""
    for row in repository.lock_counters(session, _keys(username, address), now):
        decision = rules.admit(_counter(row), policy.limits(row.key), now)
        if isinstance(decision, rules.Refused):
            raise _refusal(row.key, decision, now)
        _store(row, decision, now)


def succeeded(
    session: Session,
    username: str,
    address: str | None,
    policy: ThrottlePolicy,
    *,
    now: datetime,
    complete: bool,
) -> None:
    """Take back the attempt that proved right; a completed sign-in clears the account."""
    for row in repository.lock_counters(session, _keys(username, address), now):
        forget = complete and row.key.startswith(ACCOUNT)
        counter = rules.succeeded(_counter(row), policy.limits(row.key), forget_failures=forget)
        _store(row, counter, now)


def failed(
    session: Session, username: str, address: str | None, *, now: datetime, reason: str
) -> None:
    """Audit a failed attempt (admit already counted it), and the lock it may have started."""
    user = repository.user_by_username(session, username.strip())
    # Nobody is signed in yet: the actor is the name typed, with no account id; its role is
    # the account's when the name exists, else "not signed in".
    name = username.strip()[:64]
    role = Role(user.role) if user is not None else Role.AUDITOR  # no permission is used
    recorded_role = None if user is not None else audit.ANONYMOUS
    actor = Subject(None, name, name, role, ip=address)
    entity_id = user.id if user is not None else None
    audit.record(
        session, actor, "login_failed", "user", entity_id, detail=reason, at=now,
        actor_role=recorded_role,
    )  # fmt: skip
    row = repository.counter(session, account_key(username))
    if row is not None and rules.now_locked(_counter(row), now):
        locked_until = row.locked_until.isoformat() if row.locked_until else None
        audit.record(
            session, actor, "login_locked", "user", entity_id, detail=locked_until, at=now,
            actor_role=recorded_role,
        )  # fmt: skip


def locked_until(session: Session, username: str, now: datetime) -> datetime | None:
    """When the account's sign-in lock ends, or None when it is not locked now."""
    row = repository.counter(session, account_key(username))
    if row is None or not rules.now_locked(_counter(row), now):
        return None
    return row.locked_until


def lift_lock(session: Session, username: str, now: datetime) -> bool:
    """Forget the account's failed sign-ins (an administrator vouched for the person);
    True when a lock was running. The addresses' own counters stay as they are."""
    (row,) = repository.lock_counters(session, [account_key(username)], now)
    was_locked = rules.now_locked(_counter(row), now)
    cleared = rules.Counter(row.window_started_at, row.attempts, None, 0, None)
    _store(row, cleared, now)
    return was_locked
