"""The full read of an order: its record, timeline and dispatch decisions (API and pages).

Explanations and reason codes are stored as lines and codes; they are put into words here,
in the language of whoever asks.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from yiyang.dispatch import service as dispatch_service
from yiyang.dispatch import wording
from yiyang.dispatch.models import DispatchDecision
from yiyang.dispatch.schemas import DecisionRead, OrderDetail
from yiyang.orders import repository as order_repository
from yiyang.orders import rules
from yiyang.orders import service as order_service
from yiyang.orders.schemas import OrderEventRead
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject


def decision_read(decision: DispatchDecision, locale: str) -> DecisionRead:
    """One decision with its explanation in the locale (and the stored lines)."""
    values = {
        name: getattr(decision, name) for name in DecisionRead.model_fields if name != "explanation"
    }
    values["explanation"] = wording.explanation(locale, decision.explanation_lines)
    return DecisionRead.model_validate(values)


def read_order(db: Session, subject: Subject, order_id: int, *, locale: str) -> OrderDetail:
    """The full order with its timeline and dispatch decisions; scope applied by the repository."""
    subject.require(Perm.ORDER_READ)
    order = order_repository.get(db, subject, order_id)
    item = order_service.to_list_item(order)
    timeline = []
    for event in order_repository.timeline(db, order.id):
        row = OrderEventRead.model_validate(event)
        # Only the platform writes codes (also when it acts for a person, who is then the
        # actor: it says so in the detail); what people wrote stays as they wrote it.
        if event.actor_user_id is None or event.detail.get("reason_is_code"):
            row.reason_label = wording.reason_label(locale, event.reason)
        timeline.append(row)
    return OrderDetail(
        **item.model_dump(),
        standard_minutes=order.standard_minutes,
        price_id=order.price_id,
        policy_id=order.policy_id,
        subsidy_reason=order.subsidy_reason,
        government_purchase=order.government_purchase,
        pinned=order.pinned,
        dispatch_attempts=order.dispatch_attempts,
        recurring_id=order.recurring_id,
        notes=order.notes,
        cancel_reason=order.cancel_reason,
        allowed_events=[str(e) for e in rules.allowed_events(order.status)],
        timeline=timeline,
        decisions=[decision_read(d, locale) for d in dispatch_service.decisions(db, order.id)],
    )
