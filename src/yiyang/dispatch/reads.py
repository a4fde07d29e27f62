"""The full read of an order: its record, timeline and dispatch decisions (API and pages)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from yiyang.dispatch import service as dispatch_service
from yiyang.orders import repository as order_repository
from yiyang.orders import rules
from yiyang.orders import service as order_service
from yiyang.orders.schemas import DecisionRead, OrderEventRead, OrderRead
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject


def read_order(db: Session, subject: Subject, order_id: int) -> OrderRead:
    """The full order with its timeline and dispatch decisions; scope applied by the repository."""
    subject.require(Perm.ORDER_READ)
    order = order_repository.get(db, subject, order_id)
    item = order_service.to_list_item(order)
    return OrderRead(
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
        timeline=[OrderEventRead.model_validate(e) for e in order_service.timeline(db, order.id)],
        decisions=[
            DecisionRead.model_validate(d) for d in dispatch_service.decisions(db, order.id)
        ],
    )
