"""After the visit: confirmation and rating, complaints, return visits, manual corrections."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from yiyang.errors import N_, Conflict, FieldProblem
from yiyang.orders import rules as order_rules
from yiyang.orders import service as orders_service
from yiyang.security.audit import service as audit
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject
from yiyang.visits import complaints, repository, rules
from yiyang.visits import service as visit_service
from yiyang.visits.models import Complaint, ReturnVisit, Visit, VisitCorrection, VisitRating
from yiyang.visits.payment import verdicts
from yiyang.visits.rules import VisitPolicy
from yiyang.visits.schemas import (
    ComplaintIn,
    ComplaintRead,
    CorrectionIn,
    RatingIn,
    RatingRead,
    ReturnVisitIn,
    ReturnVisitRead,
)

E, S = order_rules.Event, order_rules.Status


def confirm(
    session: Session, subject: Subject, order_id: int, data: RatingIn, *, now: datetime,
    policy: VisitPolicy,
) -> RatingRead:  # fmt: skip
    """The elder or family confirms a completed visit and rates it (their own orders only);
    a one-star rating disputes the visit's payment."""
    subject.require(Perm.VISIT_RATE)
    order = repository.get_order(session, subject, order_id, lock=True)
    order_rules.transition(order.status, E.CONFIRM)
    orders_service.transition(
        session, subject, order.id, E.CONFIRM, now=now, detail={"score": data.score}
    )
    rating = VisitRating(
        order_id=order.id,
        at=now,
        by_user_id=subject.user_id,
        by_role=str(subject.role),
        score=data.score,
        comment=(data.comment or "").strip() or None,
    )
    session.add(rating)
    verdicts.refresh(session, [order.id], policy=policy, now=now)
    return RatingRead.model_validate(rating)


def scores(session: Session, subject: Subject, order_ids: list[int]) -> dict[int, int]:
    """The stars given to these orders (those the subject may read), by order id."""
    subject.require(Perm.VISIT_READ)
    return repository.scores_of(session, subject, order_ids)


def file_complaint(
    session: Session, subject: Subject, order_id: int, data: ComplaintIn, *, now: datetime,
    policy: VisitPolicy,
) -> ComplaintRead:  # fmt: skip
    """Record a complaint about an order in the caller's scope (it disputes the visit's
    payment until it is closed)."""
    subject.require(Perm.COMPLAINT_WRITE)
    order = repository.get_order(session, subject, order_id, lock=True)  # its verdict changes
    complaint = Complaint(
        order_id=order.id,
        at=now,
        by_user_id=subject.user_id,
        by_role=str(subject.role),
        category=data.category,
        text=data.text.strip(),
        status="open",
    )
    session.add(complaint)
    session.flush()
    complaints.record_filed(session, subject, complaint)
    verdicts.refresh(session, [order.id], policy=policy, now=now)
    return ComplaintRead.model_validate(complaint)


def list_complaints(session: Session, subject: Subject) -> list[ComplaintRead]:
    """Complaints in the caller's scope, newest first."""
    subject.require(Perm.COMPLAINT_READ)
    return [ComplaintRead.model_validate(c) for c in repository.complaints(session, subject)]


def record_return_visit(
    session: Session, subject: Subject, order_id: int, data: ReturnVisitIn, *, now: datetime
) -> ReturnVisitRead:
    """A call-centre operator records a follow-up call (回访) after a visit."""
    subject.require(Perm.RETURN_VISIT_WRITE)
    order = repository.get_order(session, subject, order_id)
    if data.reached is False and data.satisfaction is not None:
        visit_service.raise_if(
            [
                FieldProblem(
                    "satisfaction",
                    "not_reached",
                    N_("No satisfaction score when the elder was not reached."),
                )
            ]
        )
    row = ReturnVisit(
        order_id=order.id,
        at=now,
        operator_id=subject.user_id,
        operator_name=subject.display_name,
        reached=data.reached,
        satisfaction=data.satisfaction,
        notes=(data.notes or "").strip() or None,
    )
    session.add(row)
    session.flush()
    return ReturnVisitRead.model_validate(row)


def list_return_visits(session: Session, subject: Subject, order_id: int) -> list[ReturnVisitRead]:
    """Follow-up calls of an order in the caller's scope."""
    subject.require(Perm.VISIT_READ)
    order = repository.get_order(session, subject, order_id)
    return [ReturnVisitRead.model_validate(r) for r in repository.return_visits(session, order.id)]


def _stamp(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def correct(
    session: Session, subject: Subject, order_id: int, data: CorrectionIn, *, now: datetime,
    policy: VisitPolicy,
) -> Visit:  # fmt: skip
    """A dispatcher or administrator corrects a visit time by hand, with a listed reason.

    The change is recorded (who, when, before, after, why), audited and marked manual; a
    corrected-in arrival or departure moves the order on as the caregiver's would have.
    """
    subject.require(Perm.VISIT_CORRECT)
    order = repository.get_order(session, subject, order_id, lock=True)
    visit = repository.get_visit(session, order.id)
    field_name = data.field_name
    other = None
    if visit is not None:
        other = visit.check_out_at if field_name == "check_in_at" else visit.check_in_at
    problems = rules.correction_problems(field_name, data.reason, data.note, data.value, other, now)
    if field_name == "check_out_at" and (visit is None or visit.check_in_at is None):
        problems.append(
            FieldProblem(
                "field_name", "not_checked_in", N_("Correct the check-in before the check-out.")
            )
        )
    visit_service.raise_if(problems)
    assert data.value is not None and data.reason is not None
    moves = _moves_for(order.status, field_name)
    status = order.status
    for event in moves:  # refuse an impossible move before anything is written
        status = order_rules.transition(status, event)
    visit = visit or visit_service.visit_for(session, order)
    if visit.check_in_at is None:
        visit.staff_id = order.staff_id  # the caregiver the corrected arrival belongs to
    before = getattr(visit, field_name)
    setattr(visit, field_name, data.value)
    side = field_name.removesuffix("_at")
    setattr(visit, f"{side}_manual", True)
    if getattr(visit, f"{side}_method") is None:
        setattr(visit, f"{side}_method", rules.CheckMethod.MANUAL)
    visit.manual = True
    if visit.check_in_at and visit.check_out_at:
        visit.duration_min = rules.duration_minutes(visit.check_in_at, visit.check_out_at)
    visit.updated_at = now
    visit.corrections.append(
        VisitCorrection(
            at=now,
            by_user_id=subject.user_id,
            by_name=subject.display_name,
            by_role=str(subject.role),
            field_name=field_name,
            before=_stamp(before),
            after=_stamp(data.value),
            reason_code=data.reason,
            note=(data.note or "").strip() or None,
        )
    )
    for event in moves:
        orders_service.record(
            session, order, event, actor=subject, now=now, reason=f"manual: {data.reason}"
        )
    if field_name == "check_in_at":
        visit_service.arrived(session, order, now=now)
    audit.record(
        session,
        subject,
        "visit_correction",
        "visit",
        visit.id,
        before={field_name: before},
        after={field_name: data.value, "reason": data.reason, "note": data.note},
        at=now,
    )
    verdicts.refresh(session, [order.id], policy=policy, now=now)
    return visit


def _moves_for(status: str, field_name: str) -> list[order_rules.Event]:
    """The order moves a corrected time implies (none when the order is already past it)."""
    if field_name == "check_in_at" and status in (S.CAREGIVER_ACCEPTED, S.ON_THE_WAY):
        return [E.CHECK_IN]
    if field_name == "check_out_at" and status == S.CHECKED_IN:
        return [E.CHECK_OUT, E.COMPLETE]
    if field_name == "check_in_at" and status not in _PAST_CHECK_IN:
        raise Conflict(
            N_("An order that is %(status)s has no visit to correct."),
            field="field_name",
            code="no_visit",
            status=status,
        )
    return []


_PAST_CHECK_IN = (S.CHECKED_IN, S.CHECKED_OUT, S.COMPLETED, S.CONFIRMED, S.SETTLED)
