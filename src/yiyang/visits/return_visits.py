"""Return visits (回访) as a call-back queue: a daily sample of completed visits, the calls
and their results. `return_visits_due` feeds the operator's work page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy.orm import Session

from yiyang.config import Settings
from yiyang.errors import N_, Conflict, Invalid
from yiyang.kit.localtime import CHINA_TZ, local_today
from yiyang.security.audit import service as audit
from yiyang.security.disclosure import Kind, Viewer, mask
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject
from yiyang.visits import care_repository
from yiyang.visits.care_models import ReturnVisitDue
from yiyang.visits.care_rules import CallResult, call_done, sample
from yiyang.visits.care_schemas import CallIn, DueRead, DueSummary
from yiyang.visits.models import ReturnVisit

TABS = ("today", "overdue", "done")


def sample_day(session: Session, day: date, settings: Settings, *, now: datetime) -> int:
    """Sample the visits completed on `day` (China time) for call-backs the next day.

    The same day gives the same choice, and an order is never sampled twice (a unique row
    per order): a second run only tops the day up to its share. Returns how many were added.
    """
    start = datetime.combine(day, time(0), CHINA_TZ)
    candidates = care_repository.completed_between(session, start, start + timedelta(days=1))
    chosen = sample(
        candidates,
        day,
        settings.return_visit_share_percent,
        settings.return_visit_daily_max,
        already=care_repository.sampled_count(session, day),
    )
    for order_id in chosen:
        session.add(
            ReturnVisitDue(
                order_id=order_id,
                sample_date=day,
                due_date=day + timedelta(days=1),
                sampled_at=now,
                attempts=0,
            )
        )
    session.flush()
    return len(chosen)


def _due_read(d: ReturnVisitDue) -> DueRead:
    return care_repository.due_read(d)


def due_summary(session: Session, subject: Subject, now: datetime) -> DueSummary:
    """What is due for the caller (nothing for a role that does not call back)."""
    if not subject.can(Perm.RETURN_VISIT_WRITE):
        return DueSummary(due_today=0, overdue=0, first=[])
    return care_repository.return_visits_due(session, subject, now)


@dataclass(frozen=True)
class QueueRow:
    """One call-back as the queue shows it (the phone masked as the reader may see it)."""

    due: DueRead
    elder_name: str
    phone: str | None
    item_name_zh: str
    item_name_en: str
    caregiver: str | None
    check_in_at: datetime | None
    check_out_at: datetime | None
    duration_min: int | None
    visit_notes: str | None


def queue(session: Session, subject: Subject, tab: str, now: datetime) -> list[QueueRow]:
    """One tab of the queue (due today, overdue, done) with the elder and the visit."""
    subject.require(Perm.RETURN_VISIT_WRITE)
    if tab not in TABS:
        raise Invalid(N_("Choose today, overdue or done."), field="tab", code="tab")
    viewer = Viewer(subject)
    return [
        QueueRow(
            due=_due_read(d),
            elder_name=e.name,
            phone=mask(Kind.ELDER_PHONE, e.phone, viewer),
            item_name_zh=o.item.name_zh,
            item_name_en=o.item.name_en,
            caregiver=o.staff.name if o.staff else None,
            check_in_at=v.check_in_at if v else None,
            check_out_at=v.check_out_at if v else None,
            duration_min=v.duration_min if v else None,
            visit_notes=v.notes if v else None,
        )
        for d, o, e, v in care_repository.due_rows(session, subject, tab, local_today(now))
    ]


def counts(session: Session, subject: Subject, now: datetime) -> dict[str, int]:
    """Due today and overdue (the tabs' counts)."""
    subject.require(Perm.RETURN_VISIT_WRITE)
    return care_repository.due_counts(session, subject, local_today(now))


def record_call(
    session: Session, subject: Subject, due_id: int, data: CallIn, *, now: datetime
) -> DueRead:
    """Record one call: the result, the satisfaction when reached, notes. Not reached or
    asked to call back: due again tomorrow, until the third try."""
    subject.require(Perm.RETURN_VISIT_WRITE)
    due = care_repository.get_due(session, subject, due_id, lock=True)
    if due.done_at is not None:
        raise Conflict(N_("This return visit is done already."), code="done")
    reached = data.result in (CallResult.REACHED, CallResult.CALL_BACK)
    if data.satisfaction is not None and data.result != CallResult.REACHED:
        raise Invalid(
            N_("A satisfaction score is only given when the elder was reached."),
            field="satisfaction",
            code="not_reached",
        )
    if data.result == CallResult.REACHED and data.satisfaction is None:
        raise Invalid(
            N_("Ask the elder for a satisfaction score from 1 to 5."),
            field="satisfaction",
            code="required",
        )
    session.add(
        ReturnVisit(
            order_id=due.order_id,
            at=now,
            operator_id=subject.user_id,
            operator_name=subject.display_name[:64],
            reached=reached,
            satisfaction=data.satisfaction,
            notes=(data.notes or "").strip() or None,
            result=data.result,
        )
    )
    due.attempts += 1
    due.last_result = data.result
    if call_done(data.result, due.attempts):
        due.done_at = now
    else:
        due.due_date = local_today(now) + timedelta(days=1)
    audit.record(
        session,
        subject,
        "return_visit_call",
        "return_visit_due",
        due.id,
        after={"result": str(data.result), "satisfaction": data.satisfaction},
        at=now,
    )
    session.flush()
    return _due_read(due)
