"""Supervision alerts (late, no-show, geofence): raise, clear, list, acknowledge and resolve.

One alert per order and kind; a repeat re-opens it. Acknowledged (a person is on it),
cleared (the cause went away by itself) and resolved (a person closed it, with a note) are
separate facts, as for device alarms. What people do to an alert is audited.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from yiyang.errors import N_, Conflict, Invalid
from yiyang.events import bus
from yiyang.events.types import Actor
from yiyang.kit.localtime import local_today
from yiyang.kit.pagination import Page, PageParams
from yiyang.orders.disclosure import elder_viewer
from yiyang.orders.models import ServiceOrder
from yiyang.security.audit import service as audit
from yiyang.security.disclosure import disclosed
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject
from yiyang.visits import repository
from yiyang.visits.alert_events import (
    VisitAlertAcknowledged,
    VisitAlertCleared,
    VisitAlertRaised,
    VisitAlertResolved,
)
from yiyang.visits.models import Alert
from yiyang.visits.schemas import AlertFilter, AlertNote, AlertRead, AlertStatus


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
    elif alert.cleared_at is not None or alert.resolved_at is not None:
        alert.raised_at, alert.cleared_at = now, None
        alert.acknowledged_at = alert.acknowledged_by_id = alert.acknowledge_note = None
        alert.resolved_at = alert.resolved_by_id = alert.resolution_note = None
    alert.staff_id = order.staff_id
    alert.detail = {**(alert.detail or {}), **_plain(detail)}
    session.flush()
    bus.publish(
        session,
        VisitAlertRaised(
            occurred_at=now, actor=Actor.of(None), alert_id=alert.id, order_id=order.id,
            elder_id=order.elder_id, kind=alert.kind, staff_id=alert.staff_id,
            detail=dict(alert.detail),
        ),
    )  # fmt: skip
    return alert


def clear(session: Session, order_id: int, kind: str, *, now: datetime) -> bool:
    """Mark the order's open alert of this kind cleared; True when there was one."""
    alert = repository.alert_for(session, order_id, kind)
    if alert is None or alert.cleared_at is not None:
        return False
    alert.cleared_at = now
    bus.publish(
        session,
        VisitAlertCleared(
            occurred_at=now, actor=Actor.of(None), alert_id=alert.id, order_id=order_id,
            kind=alert.kind, staff_id=alert.staff_id,
        ),
    )  # fmt: skip
    return True


def status_of(alert: Alert) -> AlertStatus:
    """open, acknowledged or resolved (a cleared cause counts as resolved)."""
    if alert.resolved_at is not None or alert.cleared_at is not None:
        return "resolved"
    return "acknowledged" if alert.acknowledged_at is not None else "open"


def to_read(alert: Alert, subject: Subject, *, now: datetime) -> AlertRead:
    """An alert as this subject may see it; the elder's phone masked for roles that need no more."""
    order = alert.order
    elder = order.elder
    ended = min((t for t in (alert.resolved_at, alert.cleared_at) if t is not None), default=now)
    values = dict(
        id=alert.id,
        kind=alert.kind,
        status=status_of(alert),
        order_id=order.id,
        order_status=order.status,
        window_start_at=order.window_start_at,
        service_name=order.item.name_zh,
        service_name_en=order.item.name_en,
        elder_id=elder.id,
        elder_name=elder.name,
        elder_phone=elder.phone,
        street_name=elder.street.name,
        community_name=elder.community.name,
        staff_id=alert.staff_id,
        staff_name=alert.staff.name if alert.staff else None,
        raised_at=alert.raised_at,
        minutes_open=max(0, int((ended - alert.raised_at).total_seconds() // 60)),
        detail=dict(alert.detail or {}),
        acknowledged_at=alert.acknowledged_at,
        acknowledged_by=alert.acknowledged_by.display_name if alert.acknowledged_by else None,
        acknowledge_note=alert.acknowledge_note,
        cleared_at=alert.cleared_at,
        resolved_at=alert.resolved_at,
        resolved_by=alert.resolved_by.display_name if alert.resolved_by else None,
        resolution_note=alert.resolution_note,
    )
    return disclosed(AlertRead, elder_viewer(subject, order, local_today(now)), values)


def open_alerts(
    session: Session, subject: Subject, flt: AlertFilter, page: PageParams, *, now: datetime
) -> Page[AlertRead]:
    """Alerts in the caller's scope matching the filters (by default those still to handle)."""
    subject.require(Perm.ALERT_READ)
    rows, total = repository.search_alerts(session, subject, flt, page, now=now)
    return Page[AlertRead](
        items=[to_read(a, subject, now=now) for a in rows],
        total=total,
        page=page.page,
        size=page.size,
    )


def order_alerts(
    session: Session, subject: Subject, order_id: int, *, now: datetime
) -> list[AlertRead]:
    """Every alert of one readable order, newest first (NotFound outside the caller's scope)."""
    subject.require(Perm.ALERT_READ)
    order = repository.get_order(session, subject, order_id)
    return [to_read(a, subject, now=now) for a in repository.alerts_of_order(session, order.id)]


def open_count(session: Session, subject: Subject) -> int:
    """Alerts in scope nobody has acknowledged or resolved (0 for roles that see none)."""
    if not subject.can(Perm.ALERT_READ):
        return 0
    return repository.count_open(session, subject)


def _note(data: AlertNote) -> str:
    note = data.note.strip()
    if not note:
        raise Invalid(
            N_("Write a note saying what was done about this alert."),
            field="note",
            code="note_required",
        )
    return note


def _by(alert: Alert, which: str) -> str:
    user = alert.resolved_by if which == "resolved" else alert.acknowledged_by
    return user.display_name if user else "—"


def _recorded(
    session: Session, subject: Subject, alert: Alert, action: str, note: str, *, now: datetime
) -> AlertRead:
    """Audit what a person did to an alert and read it back with the names filled in."""
    audit.record(
        session, subject, action, "visit_alert", alert.id,
        after={"kind": alert.kind, "order_id": alert.order_id, "note": note}, at=now,
    )  # fmt: skip
    session.flush()
    return to_read(repository.get_alert(session, subject, alert.id), subject, now=now)


def _publish(
    session: Session,
    event: type[VisitAlertAcknowledged] | type[VisitAlertResolved],
    subject: Subject,
    alert: Alert,
    note: str | None,
    now: datetime,
) -> None:
    """Tell the layers above that a person acknowledged or resolved the alert."""
    bus.publish(
        session,
        event(
            occurred_at=now, actor=Actor.of(subject), alert_id=alert.id, order_id=alert.order_id,
            kind=alert.kind, staff_id=alert.staff_id, note=note,
        ),
    )  # fmt: skip


def acknowledge(
    session: Session, subject: Subject, alert_id: int, data: AlertNote, *, now: datetime
) -> AlertRead:
    """A person is on it: who, when and a note are kept (repeating one's own is harmless)."""
    subject.require(Perm.ALERT_ACK)
    note = _note(data)
    alert = repository.get_alert(session, subject, alert_id, lock=True)
    if status_of(alert) == "resolved":
        raise Conflict(N_("This alert is already resolved."), field="note", code="alert_resolved")
    if alert.acknowledged_at is not None:
        if alert.acknowledged_by_id == subject.user_id:
            return to_read(alert, subject, now=now)
        raise Conflict(
            N_("%(name)s has already acknowledged this alert."),
            field="note",
            code="alert_acknowledged",
            name=_by(alert, "acknowledged"),
        )
    alert.acknowledged_at, alert.acknowledged_by_id = now, subject.user_id
    alert.acknowledge_note = note
    _publish(session, VisitAlertAcknowledged, subject, alert, note, now)
    return _recorded(session, subject, alert, "acknowledge", note, now=now)


def resolve(
    session: Session, subject: Subject, alert_id: int, data: AlertNote, *, now: datetime
) -> AlertRead:
    """A person closes the alert with a note saying what was done (acknowledging it if needed)."""
    subject.require(Perm.ALERT_ACK)
    note = _note(data)
    alert = repository.get_alert(session, subject, alert_id, lock=True)
    if alert.resolved_at is not None:
        raise Conflict(
            N_("%(name)s has already resolved this alert."),
            field="note",
            code="alert_resolved",
            name=_by(alert, "resolved"),
        )
    if alert.acknowledged_at is None:
        alert.acknowledged_at, alert.acknowledged_by_id = now, subject.user_id
    alert.resolved_at, alert.resolved_by_id, alert.resolution_note = now, subject.user_id, note
    _publish(session, VisitAlertResolved, subject, alert, note, now)
    return _recorded(session, subject, alert, "resolve", note, now=now)
