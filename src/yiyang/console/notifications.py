"""Reactions to order and visit events: text the family, hand events to webhook subscribers.

They run inside the transaction of the change (subscribers of the event bus) and only write
outbox rows; the worker sends them after commit. The family texts are written in Chinese
(the locale of the district), with times in China time.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from yiyang.console.recipients import caregiver_and_centre, family_recipient, service_name
from yiyang.errors import N_
from yiyang.events import outbox
from yiyang.events.bus import BUS
from yiyang.kit.localtime import CHINA_TZ
from yiyang.orders.events import (
    CaregiverAssigned,
    OrderEvent,
    OrderUnplaceable,
    VisitCheckedIn,
    VisitCheckedOut,
    VisitOnTheWay,
)
from yiyang.ports import subscriptions
from yiyang.web.i18n import translate

SMS_LOCALE = "zh_CN"
TEXTS: dict[type[OrderEvent], str] = {
    CaregiverAssigned: N_(
        "[Yiyang] Caregiver %(caregiver)s of %(centre)s will give %(elder)s the %(service)s"
        " service, expected at %(time)s."
    ),
    VisitOnTheWay: N_(
        "[Yiyang] Caregiver %(caregiver)s is on the way to %(elder)s, expected at %(time)s."
    ),
    VisitCheckedIn: N_(
        "[Yiyang] Caregiver %(caregiver)s arrived at %(elder)s at %(time)s and began the"
        " %(service)s service."
    ),
    VisitCheckedOut: N_(
        "[Yiyang] Caregiver %(caregiver)s finished the %(service)s service for %(elder)s at"
        " %(time)s."
    ),
    OrderUnplaceable: N_(
        "[Yiyang] Sorry, no caregiver could be found yet for the %(service)s service of"
        " %(elder)s on %(time)s. The service centre will contact you soon."
    ),
}
# The time a text speaks of: when the visit is expected, or when the event happened.
EXPECTED = (CaregiverAssigned, VisitOnTheWay, OrderUnplaceable)


def local_time(value: datetime) -> str:
    """'11月24日 14:05' in China time (never UTC)."""
    at = value.astimezone(CHINA_TZ)
    return f"{at.month}月{at.day}日 {at:%H:%M}"


def family_text(session: Session, event: OrderEvent) -> tuple[str, str] | None:
    """The phone and the text that tell the family about this event, or None when nobody can be
    told (no contact and no phone, or no caregiver where the text names one)."""
    recipient = family_recipient(session, event.order.elder_id)
    if recipient is None:
        return None
    params: dict[str, object] = {
        "elder": recipient.elder_name if recipient.family else translate(SMS_LOCALE, N_("you")),
        "service": service_name(session, event.order.item_id),
    }
    if not isinstance(event, OrderUnplaceable):
        found = caregiver_and_centre(session, event.order.staff_id)
        if found is None:
            return None
        params["caregiver"], params["centre"] = found
    expected = event.order.planned_start_at or event.order.window_start_at
    params["time"] = local_time(expected if isinstance(event, EXPECTED) else event.occurred_at)
    return recipient.phone, translate(SMS_LOCALE, TEXTS[type(event)], params)


@BUS.subscribe(*TEXTS)
def tell_family(session: Session, event: OrderEvent) -> None:
    """Text the elder's first family contact (else the elder) about the visit."""
    found = family_text(session, event)
    if found is None:
        return
    phone, text = found
    # The family hears once that an order cannot be placed, however often it is re-queued.
    key = (
        f"sms:unplaceable:{event.order.id}"
        if isinstance(event, OrderUnplaceable)
        else f"sms:{event.id}"
    )
    outbox.enqueue(
        session,
        channel="sms",
        destination=phone,
        payload={"text": text, "order_id": event.order.id},
        idempotency_key=key,
        now=event.occurred_at,
        event=event,
    )


@BUS.subscribe(OrderEvent)
def hand_to_webhooks(session: Session, event: OrderEvent) -> None:
    """One signed webhook message per active subscription to this event type."""
    envelope = event.envelope()
    for sub_id in subscriptions.subscribed_to(session, event.TYPE):
        outbox.enqueue(
            session,
            channel="webhook",
            destination=str(sub_id),
            payload=envelope,
            idempotency_key=f"webhook:{sub_id}:{event.id}",
            now=event.occurred_at,
            event=event,
        )
