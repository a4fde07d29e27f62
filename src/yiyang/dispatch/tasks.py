"""Timer handlers: offer expiries, recurring-order expansion, the nightly day plan."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yiyang.config import get_settings
from yiyang.dispatch import day_plan, service
from yiyang.errors import DomainError
from yiyang.orders import recurring
from yiyang.security.subject import system_subject
from yiyang.timers.models import Timer
from yiyang.timers.runner import handles

log = logging.getLogger(__name__)


@handles(service.ORG_OFFER_EXPIRY)
def org_offer_expired(session: Session, timer: Timer, now: datetime) -> None:
    """The organisation did not answer in time: move on to the next candidate."""
    service.expire_offer(
        session, timer.ref_id, timer.payload.get("decision_id"), step="org", now=now
    )


@handles(service.CAREGIVER_OFFER_EXPIRY)
def caregiver_offer_expired(session: Session, timer: Timer, now: datetime) -> None:
    """The caregiver did not answer in time: move on to the next candidate."""
    service.expire_offer(
        session, timer.ref_id, timer.payload.get("decision_id"), step="caregiver", now=now
    )


def expand_recurring(
    session: Session, *, now: datetime, days_ahead: int = 1, recurring_id: int | None = None
) -> int:
    """Create (and dispatch) the orders standing orders owe from today to `days_ahead`."""
    subject = system_subject("recurring")
    made = 0
    for due in recurring.occurrences(
        session, now=now, days_ahead=days_ahead, recurring_id=recurring_id
    ):
        try:
            with session.begin_nested():
                service.submit_order(
                    session,
                    subject,
                    due.order,
                    now=now,
                    idempotency_key=due.key,
                    recurring_id=due.recurring.id,
                )
        except (DomainError, IntegrityError) as exc:  # one bad standing order must not stop all
            log.warning("recurring order %s on %s not made: %s", due.recurring.id, due.day, exc)
            continue
        due.recurring.last_expanded_date = due.day
        made += 1
    return made


@handles(recurring.EXPAND)
def recurring_due(session: Session, timer: Timer, now: datetime) -> None:
    """Daily: expand standing orders, then schedule tomorrow's run."""
    expand_recurring(session, now=now, days_ahead=get_settings().recurring_days_ahead)
    recurring.schedule_next(session, timer, now)


@handles(day_plan.NIGHTLY)
def nightly_day_plan(session: Session, timer: Timer, now: datetime) -> None:
    """Every night when switched on: re-plan tomorrow's visits into shorter rounds."""
    day_plan.run_nightly(session, timer, now=now)
