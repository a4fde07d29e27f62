"""Complaints handled to the end: assign, respond, close with an outcome; each step timed,
attributed and audited, and the family told through the outbox (console subscribes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from yiyang.errors import N_, Conflict, Invalid
from yiyang.registry.providers.models import Provider
from yiyang.security.audit import service as audit
from yiyang.security.models import UserAccount
from yiyang.security.roles import Perm, Role
from yiyang.security.subject import Subject
from yiyang.visits import care_events, care_repository, repository
from yiyang.visits.care_models import ComplaintStep
from yiyang.visits.care_rules import ComplaintAction, next_status, refusal
from yiyang.visits.care_schemas import (
    ComplaintAssign,
    ComplaintClose,
    ComplaintDetail,
    ComplaintRespond,
    ComplaintStepRead,
)
from yiyang.visits.models import Complaint
from yiyang.visits.payment import verdicts
from yiyang.visits.rules import VisitPolicy

A = ComplaintAction
HANDLERS = frozenset({Role.DISTRICT_ADMIN, Role.STREET_ADMIN, Role.OPERATOR, Role.SUPERVISOR})


def detail(session: Session, complaint: Complaint) -> ComplaintDetail:
    """A complaint with its steps."""
    steps = care_repository.steps_of(session, [complaint.id])[complaint.id]
    out = ComplaintDetail.model_validate(complaint)
    out.steps = [ComplaintStepRead.model_validate(s) for s in steps]
    return out


def read(session: Session, subject: Subject, complaint_id: int) -> ComplaintDetail:
    """One complaint in scope with its steps."""
    subject.require(Perm.COMPLAINT_READ)
    return detail(session, care_repository.get_complaint(session, subject, complaint_id))


def _step(
    session: Session,
    subject: Subject,
    complaint: Complaint,
    action: ComplaintAction,
    *,
    now: datetime,
    to_name: str | None = None,
    outcome: str | None = None,
    text: str | None = None,
) -> ComplaintDetail:
    """Move the complaint on (409 in words when the step does not fit), record and tell."""
    to = next_status(complaint.status, action)
    if to is None:
        raise Conflict(refusal(complaint.status), code="complaint_state", status=complaint.status)
    before = complaint.status
    complaint.status = to
    session.add(
        ComplaintStep(
            complaint_id=complaint.id,
            at=now,
            action=action,
            by_user_id=subject.user_id,
            by_name=subject.display_name[:64],
            by_role=str(subject.role),
            to_name=to_name,
            outcome=outcome,
            text=text,
        )
    )
    order = repository.get_order(session, subject, complaint.order_id)
    audit.record(
        session,
        subject,
        f"complaint_{action}",
        "complaint",
        complaint.id,
        before={"status": before},
        after={"status": str(to), "to": to_name, "outcome": outcome},
        at=now,
    )
    care_events.publish(
        session,
        subject,
        complaint_id=complaint.id,
        order_id=order.id,
        elder_id=order.elder_id,
        action=str(action),
        status=str(to),
        outcome=outcome,
        at=now,
    )
    session.flush()
    return detail(session, complaint)


def record_filed(session: Session, subject: Subject, complaint: Complaint) -> None:
    """The first step of a complaint: who filed it, when."""
    session.add(
        ComplaintStep(
            complaint_id=complaint.id,
            at=complaint.at,
            action=A.FILE,
            by_user_id=subject.user_id,
            by_name=subject.display_name[:64],
            by_role=str(subject.role),
            text=complaint.text,
        )
    )


def assign(
    session: Session, subject: Subject, complaint_id: int, data: ComplaintAssign, *, now: datetime
) -> ComplaintDetail:
    """Hand the complaint to a provider or to a person who handles complaints."""
    subject.require(Perm.COMPLAINT_HANDLE)
    complaint = care_repository.get_complaint(session, subject, complaint_id, lock=True)
    if (data.provider_id is None) == (data.user_id is None):
        raise Invalid(
            N_("Choose either a provider or a person to hand the complaint to."),
            field="provider_id",
            code="assignee",
        )
    name: str
    if data.provider_id is not None:
        provider = session.get(Provider, data.provider_id)
        if provider is None:
            raise Invalid(N_("No such provider."), field="provider_id", code="unknown")
        name = provider.name
    else:
        user = session.get(UserAccount, data.user_id)
        if user is None or user.role not in HANDLERS:
            raise Invalid(
                N_("Choose a person who handles complaints."), field="user_id", code="unknown"
            )
        name = user.display_name
    complaint.assigned_provider_id = data.provider_id
    complaint.assigned_user_id = data.user_id
    complaint.assigned_at = now
    note = (data.note or "").strip() or None
    return _step(session, subject, complaint, A.ASSIGN, now=now, to_name=name, text=note)


def respond(
    session: Session, subject: Subject, complaint_id: int, data: ComplaintRespond, *, now: datetime
) -> ComplaintDetail:
    """The answer: a provider admin answers for its own provider (its scope), handlers too."""
    subject.require(Perm.COMPLAINT_RESPOND)
    complaint = care_repository.get_complaint(session, subject, complaint_id, lock=True)
    text = data.text.strip()
    complaint.responded_at = now
    complaint.response = text
    return _step(session, subject, complaint, A.RESPOND, now=now, text=text)


def close(
    session: Session, subject: Subject, complaint_id: int, data: ComplaintClose, *, now: datetime,
    policy: VisitPolicy,
) -> ComplaintDetail:  # fmt: skip
    """Close with an outcome of the list and what was done; the visit is disputed no more."""
    subject.require(Perm.COMPLAINT_HANDLE)
    complaint = care_repository.get_complaint(session, subject, complaint_id, lock=True)
    repository.get_order(session, subject, complaint.order_id, lock=True)  # its verdict changes
    text = data.text.strip()
    complaint.resolved_at = now
    complaint.resolved_by_id = subject.user_id
    complaint.resolution = text
    complaint.outcome = data.outcome
    closed = _step(session, subject, complaint, A.CLOSE, now=now, outcome=data.outcome, text=text)
    verdicts.refresh(session, [complaint.order_id], policy=policy, now=now)
    return closed


def order_complaints(session: Session, subject: Subject, order_id: int) -> list[ComplaintDetail]:
    """The complaints of an order in scope, each with its steps (for the order page)."""
    subject.require(Perm.COMPLAINT_READ)
    order = repository.get_order(session, subject, order_id)
    rows = care_repository.complaints_of_order(session, order.id)
    steps = care_repository.steps_of(session, [c.id for c in rows])
    out = []
    for c in rows:
        d = ComplaintDetail.model_validate(c)
        d.steps = [ComplaintStepRead.model_validate(s) for s in steps[c.id]]
        out.append(d)
    return out


def listing(
    session: Session,
    subject: Subject,
    *,
    status: str | None,
    category: str | None,
    provider_id: int | None,
) -> list[tuple[Complaint, Any, Any]]:
    """Complaints in scope for the complaints page; `status` "open" means not closed yet."""
    subject.require(Perm.COMPLAINT_READ)
    return care_repository.complaint_rows(
        session,
        subject,
        status=None if status in (None, "open", "all") else status,
        open_only=status in (None, "open"),
        category=category,
        provider_id=provider_id,
    )
