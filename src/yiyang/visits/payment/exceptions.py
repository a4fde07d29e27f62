"""The exceptions queue: delivered visits that cannot be paid as they stand, and their reviews.

A street or district reviewer approves, rejects or asks the provider, always with a reason;
the provider answers a question with an explanation. Reviews are appended (the newest one
decides), each is audited, and a visit outside the caller's scope is 'not found'.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from yiyang.errors import N_, Conflict, FieldProblem, Invalid
from yiyang.kit.localtime import CHINA_TZ
from yiyang.orders.models import ServiceOrder
from yiyang.security.audit import service as audit
from yiyang.security.roles import Perm
from yiyang.security.scope import Binding
from yiyang.security.subject import Subject
from yiyang.visits import repository as visit_repository
from yiyang.visits import rules as visit_rules
from yiyang.visits.models import Visit
from yiyang.visits.payment import repository
from yiyang.visits.payment.models import VisitReview
from yiyang.visits.payment.rules import (
    REASON_LABELS,
    Decision,
    Payability,
    VisitFacts,
    payability,
    previous_month,
    review_problems,
)
from yiyang.visits.payment.schemas import (
    ExceptionFilter,
    ExceptionRead,
    ReviewIn,
    ReviewRead,
    Worded,
)
from yiyang.visits.rules import VisitPolicy
from yiyang.web.i18n import translate

PROBLEM_WORDS = {
    ("reason", "required"): N_("Write the reason for this decision."),
    ("decision", "unknown_decision"): N_("Choose approve, reject or ask the provider."),
}
PROVIDER_WORDS = {
    ("reason", "required"): N_("Write your explanation."),
    ("decision", "unknown_decision"): N_("A provider can only answer the reviewer's question."),
}


@dataclass(frozen=True)
class Assessed:
    """A delivered visit with its payability and its review history."""

    order: ServiceOrder
    visit: Visit | None
    pay: Payability
    reviews: list[VisitReview]

    @property
    def last(self) -> str | None:
        """The newest decision, if any."""
        return self.reviews[-1].decision if self.reviews else None

    @property
    def state(self) -> str:
        """open, asked, rejected or approved — for the queue's filter."""
        return state_of(self.pay, self.last)


def state_of(pay: Payability, last: str | None) -> str:
    """Where a delivered visit stands: payable, approved, asked, rejected or open."""
    if pay.payable:
        return "approved" if pay.approved else "payable"
    states: dict[str, str] = {Decision.ASK: "asked", Decision.REJECT: "rejected"}
    return states.get(last or "", "open")


@dataclass(frozen=True)
class Tallied:
    """A delivered visit as counted in a report: its provider, payability and standing."""

    order_id: int
    provider_id: int | None
    pay: Payability
    state: str


RECENT_MONTHS = 3  # without a month, the queue covers this month and the two before


def recent_months(now: datetime, count: int) -> list[str]:
    """This month and the `count - 1` before it, oldest first."""
    found = [month_of(now)]
    for _ in range(count - 1):
        found.insert(0, previous_month(found[0]))
    return found


def month_of(at: datetime) -> str:
    """'2026-11': the China calendar month of an instant."""
    return at.astimezone(CHINA_TZ).strftime("%Y-%m")


def facts_of(
    order: ServiceOrder, visit: Visit | None, complaints: int, score: int | None
) -> VisitFacts:
    """What supervision knows of one delivered visit, as plain values."""
    return VisitFacts(
        window_start_at=order.window_start_at,
        check_in_at=visit.check_in_at if visit else None,
        check_out_at=visit.check_out_at if visit else None,
        standard_minutes=order.standard_minutes,
        check_in_flag=visit.check_in_flag if visit else None,
        check_out_flag=visit.check_out_flag if visit else None,
        short_reason=visit.short_reason if visit else None,
        manual=visit.manual if visit else False,
        open_complaints=complaints,
        rating_score=score,
    )


def assess(
    session: Session, pairs: list[tuple[ServiceOrder, Visit | None]], policy: VisitPolicy
) -> list[Assessed]:
    """Payability of delivered visits, with four queries whatever their number."""
    ids = [order.id for order, _ in pairs]
    complaints = visit_repository.open_complaints(session, ids)
    scores = repository.ratings_of(session, ids)
    reviews = repository.reviews_of(session, ids)
    found = []
    for order, visit in pairs:
        history = reviews.get(order.id, [])
        facts = facts_of(order, visit, complaints.get(order.id, 0), scores.get(order.id))
        last = history[-1].decision if history else None
        found.append(Assessed(order, visit, payability(facts, last, policy), history))
    return found


def tally_between(
    session: Session, subject: Subject, start: datetime, end: datetime, *,
    provider_id: int | None, street_ids: Sequence[int] | None, policy: VisitPolicy,
) -> list[Tallied]:  # fmt: skip
    """Payability of every delivered visit whose window started in [start, end), in scope,
    judged as the queue judges it, from rows (a report's month is too many for objects)."""
    ids = visit_repository.delivered_ids_between(subject, start, end, provider_id, street_ids)
    rows = visit_repository.delivered_facts(session, ids)
    complaints = visit_repository.open_complaints(session, ids)
    scores = repository.ratings_of(session, ids)
    last = repository.last_decisions(session, ids)
    out = []
    for order_id, provider, window_start, minutes, c_in, c_out, f_in, f_out, why, manual in rows:
        facts = VisitFacts(
            window_start_at=window_start, check_in_at=c_in, check_out_at=c_out,
            standard_minutes=minutes, check_in_flag=f_in, check_out_flag=f_out,
            short_reason=why, manual=bool(manual), open_complaints=complaints.get(order_id, 0),
            rating_score=scores.get(order_id),
        )  # fmt: skip
        decision = last.get(order_id)
        pay = payability(facts, decision, policy)
        out.append(Tallied(order_id, provider, pay, state_of(pay, decision)))
    return out


def delivered_in(
    session: Session, subject: Subject, month: str, provider_id: int | None, policy: VisitPolicy
) -> list[Assessed]:
    """Every delivered visit of a month (window start, China calendar) in scope, assessed."""
    start, end = visit_rules.month_bounds(month)
    pairs = visit_repository.delivered_between(session, subject, start, end, provider_id)
    return assess(session, pairs, policy)


def to_read(item: Assessed, locale: str) -> ExceptionRead:
    """An exception with its reasons in the reader's language."""
    order, visit = item.order, item.visit
    return ExceptionRead(
        order_id=order.id,
        month=month_of(order.window_start_at),
        service_date=order.service_date,
        elder_name=order.elder.name,
        street_name=order.elder.street.name,
        service_name=order.item.name_zh,
        service_name_en=order.item.name_en,
        provider_id=order.provider_id,
        provider_name=order.provider.name if order.provider else None,
        caregiver_name=order.staff.name if order.staff else None,
        price_fen=order.price_fen,
        window_start_at=order.window_start_at,
        window_end_at=order.window_end_at,
        check_in_at=visit.check_in_at if visit else None,
        check_out_at=visit.check_out_at if visit else None,
        duration_min=visit.duration_min if visit else None,
        payable=item.pay.payable,
        state=item.state,
        reasons=[
            Worded(code=r, words=translate(locale, REASON_LABELS[r])) for r in item.pay.reasons
        ],
        reviews=[ReviewRead.model_validate(r) for r in item.reviews],
    )


def _require_queue(subject: Subject) -> None:
    if not subject.can(Perm.VISIT_EXPLAIN):
        subject.require(Perm.VISIT_REVIEW)


def _own_provider(subject: Subject, provider_id: int | None) -> int | None:
    """A provider admin sees only its own provider's exceptions."""
    if subject.scope.binding is Binding.PROVIDER:
        return subject.scope.bound_id
    return provider_id


def list_exceptions(
    session: Session, subject: Subject, flt: ExceptionFilter, *, now: datetime,
    policy: VisitPolicy, locale: str,
) -> list[ExceptionRead]:  # fmt: skip
    """Unpayable (by filter: asked, rejected, approved) visits in scope of a month, or of the
    last three months, oldest first."""
    _require_queue(subject)
    months = [flt.month] if flt.month else recent_months(now, RECENT_MONTHS)
    provider_id = _own_provider(subject, flt.provider_id)
    found = [a for m in months for a in delivered_in(session, subject, m, provider_id, policy)]
    items = [a for a in found if a.state != "payable" and (a.pay.reasons or a.reviews)]
    if flt.state != "all":
        items = [a for a in items if a.state == flt.state]
    if flt.reason:
        items = [a for a in items if flt.reason in a.pay.reasons]
    return [to_read(a, locale) for a in items]


def _assessed(
    session: Session, subject: Subject, order_id: int, policy: VisitPolicy, *, lock: bool
) -> Assessed:
    order = visit_repository.get_order(session, subject, order_id, lock=lock)
    if order.status not in visit_repository.DELIVERED:
        raise Conflict(
            N_("Only delivered visits are reviewed for payment."),
            field="order_id",
            code="not_delivered",
        )
    return assess(session, [(order, visit_repository.get_visit(session, order.id))], policy)[0]


def read_exception(
    session: Session, subject: Subject, order_id: int, *, policy: VisitPolicy, locale: str
) -> ExceptionRead:
    """One visit's payability and review history (NotFound outside the caller's scope)."""
    _require_queue(subject)
    return to_read(_assessed(session, subject, order_id, policy, lock=False), locale)


def review(
    session: Session, subject: Subject, order_id: int, data: ReviewIn, *, now: datetime,
    policy: VisitPolicy, locale: str,
) -> ExceptionRead:  # fmt: skip
    """Append a decision (or the provider's answer) with its reason; audited; nothing edited."""
    provider = subject.scope.binding is Binding.PROVIDER
    subject.require(Perm.VISIT_EXPLAIN if provider else Perm.VISIT_REVIEW)
    words = PROVIDER_WORDS if provider else PROBLEM_WORDS
    item = _assessed(session, subject, order_id, policy, lock=True)  # out of scope: 404 first
    problems = [
        FieldProblem(f, code, words[(f, code)])
        for f, code in review_problems(data.decision, data.reason, provider=provider)
    ]
    if problems:
        first = problems[0]
        raise Invalid(first.message, field=first.field, code=first.code, problems=problems)
    if provider and item.last != Decision.ASK:
        raise Conflict(N_("Nobody has asked about this visit."), field="decision", code="not_asked")
    if not provider and not item.pay.reasons and item.last is None:
        raise Conflict(
            N_("This visit can be paid as it stands: there is nothing to review."),
            field="decision",
            code="nothing_to_review",
        )
    reason = (data.reason or "").strip()
    row = VisitReview(
        order_id=item.order.id, at=now, by_user_id=subject.user_id,
        by_name=subject.display_name[:64], by_role=str(subject.role), decision=data.decision,
        reason=reason, flags=[str(r) for r in item.pay.reasons],
    )  # fmt: skip
    session.add(row)
    audit.record(
        session, subject, f"visit_review.{data.decision}", "service_order", item.order.id,
        after={"decision": data.decision, "reason": reason, "flags": row.flags}, at=now,
    )  # fmt: skip
    session.flush()
    return to_read(_assessed(session, subject, order_id, policy, lock=False), locale)
