"""Delivered visits judged by the payability rules: the one path from rows to a verdict.

The exceptions queue's stored verdicts, a visit's review page and the settlement run all
assess visits here, so every one of them judges a visit as the rules do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from yiyang.kit.localtime import CHINA_TZ
from yiyang.orders.models import ServiceOrder
from yiyang.security.subject import Subject
from yiyang.visits import repository as visit_repository
from yiyang.visits import rules as visit_rules
from yiyang.visits.models import Visit
from yiyang.visits.payment import repository
from yiyang.visits.payment.models import VisitReview
from yiyang.visits.payment.rules import (
    Payability,
    VisitFacts,
    payability,
    previous_month,
    state_of,
)
from yiyang.visits.rules import VisitPolicy


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
        """payable, approved, open, asked or rejected — what the queue filters by."""
        return state_of(self.pay, self.last)


def month_of(at: datetime) -> str:
    """'2026-11': the China calendar month of an instant."""
    return at.astimezone(CHINA_TZ).strftime("%Y-%m")


def recent_months(now: datetime, count: int) -> list[str]:
    """This month and the `count - 1` before it, oldest first."""
    found = [month_of(now)]
    for _ in range(count - 1):
        found.insert(0, previous_month(found[0]))
    return found


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


def delivered_in(
    session: Session, subject: Subject, month: str, provider_id: int | None, policy: VisitPolicy
) -> list[Assessed]:
    """Every delivered visit of a month (window start, China calendar) in scope, assessed:
    callers keep it to one provider's month (a settlement run), never a whole city's."""
    start, end = visit_rules.month_bounds(month)
    pairs = visit_repository.delivered_between(session, subject, start, end, provider_id)
    return assess(session, pairs, policy)
