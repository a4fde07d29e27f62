"""A service button's press becomes an order through the ordinary order path (channel
"device": created, priced and dispatched like any other) for the elder the button belongs
to; a press that cannot become one (no single elder, an unknown service, an elder no longer
served) is a dead end noted on the button's rule state and in the log, never an alarm."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from yiyang.alarms import rules
from yiyang.alarms.raising import Origin
from yiyang.alarms.rule_states import book_of
from yiyang.alarms.rules import Action, Reason
from yiyang.config import Settings
from yiyang.devices.models import Device
from yiyang.dispatch import service as dispatch_service
from yiyang.errors import DomainError
from yiyang.orders.rules import Channel
from yiyang.orders.schemas import OrderCreate
from yiyang.protocols.message import DeviceMessage
from yiyang.security.subject import system_subject

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Request:
    """What a press did: the order made, or why none was."""

    reason: Reason
    order_id: int | None = None
    problem: str | None = None  # the order path's refusal code, for a dead end


def request(
    session: Session,
    device: Device,
    message: DeviceMessage,
    *,
    origin: Origin,
    now: datetime,
    settings: Settings,
) -> Request:
    """Order the configured service for the button's elder, or note why it cannot be done."""
    st = book_of(session).get(
        f"device:{device.id}", "service", device_id=device.id, elder_id=origin.elder_id
    )
    verdict = rules.service_press(st.last_event_at, message.sent_at, origin.elder_id)
    result = Request(verdict.reason)
    if verdict.action is Action.RAISE and origin.elder_id is not None:
        result = _order(session, device, message, origin.elder_id, now, settings)
    if result.reason is not Reason.REPEAT_PRESS:
        st.last_event_at = message.sent_at
    st.reason, st.updated_at = result.reason, now
    st.data = {
        "at": message.sent_at.isoformat(),
        "reason": str(result.reason),
        "order_id": result.order_id,
        "problem": result.problem,
        "item": settings.service_button_item,
    }
    if result.reason in (Reason.NO_ELDER, Reason.REFUSED):
        log.warning(
            "service button %s pressed, no order: %s %s",
            device.id, result.reason, result.problem or "",
        )  # fmt: skip
    return result


def _order(
    session: Session, device: Device, message: DeviceMessage, elder_id: int, now: datetime,
    settings: Settings,
) -> Request:  # fmt: skip
    start = now + timedelta(minutes=settings.service_button_lead_minutes)
    data = OrderCreate(
        elder_id=elder_id,
        item_code=settings.service_button_item,
        window_start=start,
        window_end=start + timedelta(minutes=settings.service_button_window_minutes),
        channel=Channel.DEVICE,
    )
    digest = hashlib.sha256(message.message_id.encode()).hexdigest()[:40]
    try:
        with session.begin_nested():
            order = dispatch_service.submit_order(
                session, system_subject("device"), data, now=now,
                idempotency_key=f"device:{device.id}:{digest}", settings=settings,
            )  # fmt: skip
    except DomainError as exc:
        problem = exc.problems[0].code if exc.problems else exc.code
        return Request(Reason.REFUSED, problem=problem)
    return Request(Reason.ORDERED, order_id=order.id)
