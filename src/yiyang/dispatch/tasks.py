"""Timer handlers: offer expiry (organisation, caregiver) and daily recurring-order expansion."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiyang.config import get_settings
from yiyang.dispatch import service
from yiyang.errors import DomainError
from yiyang.kit.clock import CHINA_TZ, local_today
from yiyang.orders import recurring
from yiyang.orders.models import ServiceOrder
from yiyang.orders.rules import Channel
from yiyang.orders.schemas import OrderCreate
from yiyang.registry.models import ServiceItem
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


def expand_recurring(session: Session, *, now: datetime, days_ahead: int = 1) -> int:
    """Create (and dispatch) the orders standing orders produce from today to `days_ahead`."""
    subject = system_subject("recurring")
    made = 0
    today = local_today(now)
    for offset in range(days_ahead + 1):
        day = today + timedelta(days=offset)
        for rec in recurring.due_on(session, day):
            exists = session.scalar(
                select(ServiceOrder.id).where(
                    ServiceOrder.recurring_id == rec.id, ServiceOrder.service_date == day
                )
            )
            start = datetime.combine(day, rec.start_time, CHINA_TZ)
            if exists is not None or start < now:
                continue
            code = session.scalar(select(ServiceItem.code).where(ServiceItem.id == rec.item_id))
            data = OrderCreate(
                elder_id=rec.elder_id,
                item_code=code or "",
                window_start=start,
                window_end=datetime.combine(day, rec.end_time, CHINA_TZ),
                channel=Channel.RECURRING,
                notes=rec.notes,
            )
            try:
                with session.begin_nested():
                    service.submit_order(
                        session,
                        subject,
                        data,
                        now=now,
                        idempotency_key=f"recurring:{rec.id}:{day.isoformat()}",
                        recurring_id=rec.id,
                    )
                made += 1
            except DomainError as exc:  # one bad standing order must not stop the others
                log.warning("recurring order %s on %s not made: %s", rec.id, day, exc)
            rec.last_expanded_date = day
    return made


@handles(recurring.EXPAND)
def recurring_due(session: Session, timer: Timer, now: datetime) -> None:
    """Daily: expand standing orders, then schedule tomorrow's run."""
    expand_recurring(session, now=now, days_ahead=get_settings().recurring_days_ahead)
    session.add(Timer(kind=recurring.EXPAND, ref_id=0, due_at=recurring.next_expansion(now)))
