"""Supervision alerts (late, no-show, geofence): raise, clear, list and acknowledge.

One alert per order and kind; a repeat re-opens it. Acknowledged (a person saw it) and
cleared (the cause went away) are separate facts, as for device alarms.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from yiyang.orders.models import ServiceOrder
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject
from yiyang.visits import repository
from yiyang.visits.models import Alert
from yiyang.visits.schemas import AlertRead


def _plain(detail: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in detail.items()}


def raise_alert(
    session: Session, order: ServiceOrder, kind: str, *, now: datetime, detail: dict[str, Any]
) -> Alert:
    """Raise (or re-open and update) the order's alert of this kind."""
    alert = repository.alert_for(session, order.id, kind)
    if alert is None:
        alert = Alert(kind=str(kind), order_id=order.id, raised_at=now, detail={})
        session.add(alert)
    elif alert.cleared_at is not None:
        alert.raised_at, alert.cleared_at = now, None
        alert.acknowledged_at = alert.acknowledged_by_id = None
    alert.staff_id = order.staff_id
    alert.detail = {**(alert.detail or {}), **_plain(detail)}
    session.flush()
    return alert


def clear(session: Session, order_id: int, kind: str, *, now: datetime) -> bool:
    """Mark the order's open alert of this kind cleared; True when there was one."""
    alert = repository.alert_for(session, order_id, kind)
    if alert is None or alert.cleared_at is not None:
        return False
    alert.cleared_at = now
    return True


def list_alerts(session: Session, subject: Subject, *, open_only: bool = True) -> list[AlertRead]:
    """Alerts in the caller's scope, newest first."""
    subject.require(Perm.ALERT_READ)
    return [
        AlertRead.model_validate(a)
        for a in repository.alerts(session, subject, open_only=open_only)
    ]


def acknowledge(session: Session, subject: Subject, alert_id: int, *, now: datetime) -> AlertRead:
    """A person has seen the alert (idempotent: the first acknowledgement stays)."""
    subject.require(Perm.ALERT_ACK)
    alert = repository.get_alert(session, subject, alert_id)
    if alert.acknowledged_at is None:
        alert.acknowledged_at = now
        alert.acknowledged_by_id = subject.user_id
        session.flush()
    return AlertRead.model_validate(alert)
