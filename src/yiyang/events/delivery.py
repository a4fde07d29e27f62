"""Deliver outbox messages: claim one (SKIP LOCKED, with a lease), send it, mark the outcome.

Each message takes three short transactions: the claim (which sets a lease and counts the
try), the send outside any transaction, and the outcome. A worker that dies mid-send leaves
the message leased; once the lease has expired any worker claims it again, so delivery is at
least once and receivers de-duplicate on the idempotency key.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, sessionmaker

from yiyang.config import Settings
from yiyang.events import rules
from yiyang.events.models import OutboxMessage
from yiyang.events.outbox import DEAD, DELIVERED, DELIVERING, PENDING
from yiyang.kit.clock import Clock

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claim:
    """A message as its deliverer sees it, with the token of this claim."""

    id: int
    channel: str
    destination: str
    payload: dict[str, Any]
    idempotency_key: str
    event_type: str | None
    attempts: int
    lease_token: uuid.UUID


class Undeliverable(Exception):
    """The message can never be delivered (e.g. its subscription was removed): no more tries."""


Deliverer = Callable[[Claim], None]


@dataclass(frozen=True)
class DeliveryPolicy:
    """Retries and back-off, and how long a claim holds a message."""

    retry: rules.RetryPolicy
    lease: timedelta


def _claim(factory: sessionmaker[Session], now: datetime, policy: DeliveryPolicy) -> Claim | None:
    """Lease the next due message (or one whose lease expired), each in its own transaction."""
    while True:
        with factory() as session, session.begin():
            message = session.scalar(
                select(OutboxMessage)
                .where(
                    or_(
                        and_(OutboxMessage.state == PENDING, OutboxMessage.next_attempt_at <= now),
                        and_(OutboxMessage.state == DELIVERING, OutboxMessage.leased_until <= now),
                    )
                )
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            if message is None:
                return None
            if message.state == DELIVERING and rules.gives_up(message.attempts, policy.retry):
                # Every try so far ended with its worker gone: park it before it takes another.
                _dead(message, now, "the delivery never finished (lease expired on every try)")
                continue
            message.state = DELIVERING
            message.attempts += 1
            message.leased_until = now + policy.lease
            message.lease_token = uuid.uuid4()
            return Claim(
                id=message.id,
                channel=message.channel,
                destination=message.destination,
                payload=dict(message.payload),
                idempotency_key=message.idempotency_key,
                event_type=message.event_type,
                attempts=message.attempts,
                lease_token=message.lease_token,
            )


def _dead(message: OutboxMessage, now: datetime, error: str) -> None:
    message.state, message.dead_at, message.leased_until = DEAD, now, None
    message.last_error = error[:500]


def _settle(
    factory: sessionmaker[Session],
    claim: Claim,
    now: datetime,
    policy: DeliveryPolicy,
    error: Exception | None,
    rand: Callable[[], float],
) -> None:
    """Record the outcome, unless the lease expired and another worker holds the message now."""
    with factory() as session, session.begin():
        message = session.scalar(
            select(OutboxMessage).where(OutboxMessage.id == claim.id).with_for_update()
        )
        if message is None or message.lease_token != claim.lease_token:
            log.warning("outbox message %s: lease lost before the outcome was recorded", claim.id)
            return
        message.leased_until = None
        if error is None:
            message.state, message.delivered_at = DELIVERED, now
            return
        text = f"{type(error).__name__}: {error}"
        if isinstance(error, Undeliverable) or rules.gives_up(message.attempts, policy.retry):
            _dead(message, now, text)
            return
        message.state = PENDING
        message.next_attempt_at = now + rules.retry_delay(message.attempts, policy.retry, rand())
        message.last_error = text[:500]


def deliver_due(
    factory: sessionmaker[Session],
    clock: Clock,
    deliverers: Mapping[str, Deliverer],
    policy: DeliveryPolicy,
    *,
    limit: int = 200,
    rand: Callable[[], float] = random.random,
) -> int:
    """Deliver up to `limit` due messages, one at a time; returns how many were delivered."""
    delivered = 0
    for _ in range(limit):
        claim = _claim(factory, clock(), policy)
        if claim is None:
            break
        deliverer = deliverers.get(claim.channel)
        error: Exception | None = None
        try:
            if deliverer is None:
                raise Undeliverable(f"no deliverer for channel {claim.channel!r}")
            deliverer(claim)
        except Exception as exc:  # one failing message must not stop the others
            log.warning("outbox message %s try %s failed: %s", claim.id, claim.attempts, exc)
            error = exc
        _settle(factory, claim, clock(), policy, error, rand)
        delivered += error is None
    return delivered


def policy_of(settings: Settings) -> DeliveryPolicy:
    """The delivery policy the settings describe."""
    return DeliveryPolicy(
        retry=rules.RetryPolicy(
            max_attempts=settings.outbox_max_attempts,
            base_seconds=settings.outbox_backoff_base_seconds,
            cap_seconds=settings.outbox_backoff_cap_seconds,
        ),
        lease=timedelta(seconds=settings.outbox_lease_seconds),
    )
