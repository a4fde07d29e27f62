"""Words for the outbox and webhook screens: event types, message states and channels."""

from __future__ import annotations

from yiyang.errors import N_

EVENT_LABELS: dict[str, str] = {
    "order.created": N_("Order placed"),
    "order.priced": N_("Order priced"),
    "order.offered": N_("Offered to a provider"),
    "order.unplaceable": N_("No caregiver found: to the dispatcher queue"),
    "order.provider_accepted": N_("Provider accepted"),
    "order.provider_refused": N_("Provider refused"),
    "order.provider_timed_out": N_("Provider did not answer in time"),
    "order.caregiver_assigned": N_("Caregiver assigned"),
    "order.caregiver_accepted": N_("Caregiver accepted"),
    "order.caregiver_refused": N_("Caregiver refused"),
    "order.caregiver_timed_out": N_("Caregiver did not answer in time"),
    "order.caregiver_unavailable": N_("Caregiver unavailable"),
    "visit.on_the_way": N_("Caregiver on the way"),
    "visit.checked_in": N_("Checked in"),
    "visit.checked_out": N_("Checked out"),
    "visit.no_show": N_("No-show"),
    "order.completed": N_("Completed"),
    "order.confirmed": N_("Confirmed by the family"),
    "order.settled": N_("Settled"),
    "order.cancelled": N_("Cancelled"),
}
STATE_LABELS: dict[str, str] = {
    "pending": N_("Waiting to be sent"),
    "delivering": N_("Being delivered"),
    "delivered": N_("Delivered"),
    "dead": N_("Gave up"),
}
STATE_CLASSES: dict[str, str] = {
    "pending": "badge-warning",
    "delivering": "badge-accent",
    "delivered": "badge-success",
    "dead": "badge-danger",
}
CHANNEL_LABELS: dict[str, str] = {
    "sms": N_("Text message"),
    "voice": N_("Voice call"),
    "webhook": N_("Webhook"),
}
