"""Stored verdicts: each delivered visit's payability, rewritten from the rules on every change.

Whoever changes a fact the rules judge a visit by — its check-out or a corrected time, a
short-visit reason, a rating, a complaint filed or closed, a review — calls `refresh` in the
same transaction, so the exceptions queue filters, sorts and pages in SQL. The verdict is
the rules' own answer (assessing.assess), never a second reading of the facts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from yiyang.visits import repository as visit_repository
from yiyang.visits.payment import repository
from yiyang.visits.payment.assessing import assess, month_of
from yiyang.visits.payment.models import VisitVerdict
from yiyang.visits.rules import VisitPolicy, policy_key


def refresh(
    session: Session, order_ids: Sequence[int], *, policy: VisitPolicy, now: datetime
) -> None:
    """Judge these orders again: a verdict for each delivered one, none for the others."""
    session.flush()
    pairs = visit_repository.deliveries_of(session, list(order_ids), lock=True)
    delivered = [(o, v) for o, v in pairs if o.status in visit_repository.DELIVERED]
    items = assess(session, delivered, policy)
    key = policy_key(policy)
    verdicts = [
        VisitVerdict(
            order_id=item.order.id, month=month_of(item.order.window_start_at),
            provider_id=item.order.provider_id, payable=item.pay.payable, state=item.state,
            computed_at=now, policy=key,
        )
        for item in items
    ]  # fmt: skip
    reasons = {item.order.id: [str(r) for r in item.pay.reasons] for item in items}
    repository.replace_verdicts(session, list(order_ids), verdicts, reasons)
