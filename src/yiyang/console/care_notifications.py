"""Tell the family (else the elder) how their complaint is being handled, through the outbox.

Written in Chinese (the district's locale), like the visit texts of `notifications`.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from yiyang.console.notifications import SMS_LOCALE
from yiyang.console.recipients import family_recipient, service_name
from yiyang.errors import N_
from yiyang.events import outbox
from yiyang.events.bus import BUS
from yiyang.orders.models import ServiceOrder
from yiyang.visits.care_events import ComplaintStepped
from yiyang.visits.models import Complaint
from yiyang.visits.wording import OUTCOME_WORDS
from yiyang.web.i18n import translate

TEXTS = {
    "assign": N_(
        "[Yiyang] The complaint about the %(service)s service for %(elder)s has been taken up"
        " and handed to %(to)s."
    ),
    "respond": N_(
        "[Yiyang] The complaint about the %(service)s service for %(elder)s has an answer: %(text)s"
    ),
    "close": N_(
        "[Yiyang] The complaint about the %(service)s service for %(elder)s is closed"
        " (%(outcome)s): %(text)s"
    ),
}


def complaint_text(session: Session, event: ComplaintStepped) -> tuple[str, str] | None:
    """The phone and the text for this step, or None when nobody can be told."""
    template = TEXTS.get(event.action)
    complaint = session.get(Complaint, event.complaint_id)
    order = session.get(ServiceOrder, event.order_id)
    recipient = family_recipient(session, event.elder_id)
    if template is None or complaint is None or order is None or recipient is None:
        return None
    outcome = OUTCOME_WORDS.get(event.outcome or "")
    params: dict[str, object] = {
        "elder": recipient.elder_name if recipient.family else translate(SMS_LOCALE, N_("you")),
        "service": service_name(session, order.item_id),
        "to": "",
        "text": (complaint.resolution if event.action == "close" else complaint.response) or "",
        "outcome": translate(SMS_LOCALE, outcome) if outcome else "",
    }
    if event.action == "assign":
        params["to"] = translate(SMS_LOCALE, N_("the service provider"))
        if complaint.assigned_user_id is not None:
            params["to"] = translate(SMS_LOCALE, N_("the call centre"))
    return recipient.phone, translate(SMS_LOCALE, template, params)


@BUS.subscribe(ComplaintStepped)
def tell_family(session: Session, event: ComplaintStepped) -> None:
    """One text per step of the complaint."""
    found = complaint_text(session, event)
    if found is None:
        return
    phone, text = found
    outbox.enqueue(
        session,
        channel="sms",
        destination=phone,
        payload={"text": text, "order_id": event.order_id, "complaint_id": event.complaint_id},
        idempotency_key=f"sms:{event.id}",
        now=event.occurred_at,
        event=event,
    )
