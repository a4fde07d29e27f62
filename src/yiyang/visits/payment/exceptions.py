"""The exceptions queue: delivered visits that cannot be paid as they stand, and their reviews.

A street or district reviewer approves, rejects or asks the provider, always with a reason;
the provider answers a question with an explanation. Reviews are appended (the newest one
decides), each is audited, and a visit outside the caller's scope is 'not found'.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from yiyang.errors import N_, Conflict, FieldProblem, Invalid
from yiyang.kit.pagination import PageParams
from yiyang.orders.models import ServiceOrder
from yiyang.security.audit import service as audit
from yiyang.security.roles import Perm
from yiyang.security.scope import Binding
from yiyang.security.subject import Subject
from yiyang.visits import repository as visit_repository
from yiyang.visits.models import Visit
from yiyang.visits.payment import repository, verdicts
from yiyang.visits.payment.assessing import Assessed, assess, month_of, recent_months
from yiyang.visits.payment.models import VisitReview
from yiyang.visits.payment.rules import (
    REASON_LABELS,
    Decision,
    review_problems,
)
from yiyang.visits.payment.schemas import (
    ExceptionFilter,
    ExceptionPage,
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


RECENT_MONTHS = 3  # without a month, the queue covers this month and the two before


def to_read(
    order: ServiceOrder, visit: Visit | None, *, payable: bool, state: str,
    reasons: Sequence[str], reviews: list[VisitReview], locale: str,
) -> ExceptionRead:  # fmt: skip
    """An exception with its reasons in the reader's language."""
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
        payable=payable,
        state=state,
        reasons=[
            Worded(code=r, words=translate(locale, REASON_LABELS.get(r) or r)) for r in reasons
        ],
        reviews=[ReviewRead.model_validate(r) for r in reviews],
    )


def _assessed_read(item: Assessed, locale: str) -> ExceptionRead:
    return to_read(
        item.order, item.visit, payable=item.pay.payable, state=item.state,
        reasons=[str(r) for r in item.pay.reasons], reviews=item.reviews, locale=locale,
    )  # fmt: skip


def _require_queue(subject: Subject) -> None:
    if not subject.can(Perm.VISIT_EXPLAIN):
        subject.require(Perm.VISIT_REVIEW)


def _own_provider(subject: Subject, provider_id: int | None) -> int | None:
    """A provider admin sees only its own provider's exceptions."""
    if subject.scope.binding is Binding.PROVIDER:
        return subject.scope.bound_id
    return provider_id


def list_exceptions(
    session: Session, subject: Subject, flt: ExceptionFilter, page: PageParams, *,
    now: datetime, locale: str,
) -> ExceptionPage:  # fmt: skip
    """A page of the visits in scope of a month, or of the last three months, that cannot be
    paid as they stand (by filter: asked, rejected, approved), oldest first, from their
    stored verdicts."""
    _require_queue(subject)
    rows, total, price = repository.exception_page(
        session, subject, months=[flt.month] if flt.month else recent_months(now, RECENT_MONTHS),
        provider_id=_own_provider(subject, flt.provider_id), state=flt.state, reason=flt.reason,
        page=page,
    )  # fmt: skip
    ids = [order.id for order, _ in rows]
    visits = visit_repository.visits_of(session, ids)
    reasons = repository.verdict_reasons(session, ids)
    reviews = repository.reviews_of(session, ids)
    items = [
        to_read(
            order, visits.get(order.id), payable=verdict.payable, state=verdict.state,
            reasons=reasons.get(order.id, []), reviews=reviews.get(order.id, []), locale=locale,
        )
        for order, verdict in rows
    ]  # fmt: skip
    return ExceptionPage(items=items, total=total, page=page.page, size=page.size, total_fen=price)


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
    return _assessed_read(_assessed(session, subject, order_id, policy, lock=False), locale)


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
    verdicts.refresh(session, [item.order.id], policy=policy, now=now)
    return _assessed_read(_assessed(session, subject, order_id, policy, lock=False), locale)
