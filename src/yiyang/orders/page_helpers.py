"""Labels and formatting shared by the order, dispatch and visit pages (codes stay codes)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from yiyang.errors import N_
from yiyang.kit.localtime import CHINA_TZ
from yiyang.web.i18n import translate

# Statuses at which a family's status page stops polling.
SETTLED_VIEW = frozenset({"completed", "confirmed", "settled", "cancelled", "no_show"})

STATUS_LABELS: dict[str, str] = {
    "created": N_("Created"),
    "priced": N_("Priced"),
    "queued": N_("Waiting for a dispatcher"),
    "offered": N_("Offered to a provider"),
    "org_accepted": N_("Accepted by the provider"),
    "org_refused": N_("Refused by the provider"),
    "assigned": N_("Caregiver assigned"),
    "caregiver_accepted": N_("Caregiver accepted"),
    "caregiver_refused": N_("Refused by the caregiver"),
    "on_the_way": N_("On the way"),
    "checked_in": N_("Service in progress"),
    "checked_out": N_("Checked out"),
    "completed": N_("Completed"),
    "confirmed": N_("Confirmed"),
    "settled": N_("Settled"),
    "cancelled": N_("Cancelled"),
    "no_show": N_("No-show"),
}
EVENT_LABELS: dict[str, str] = {
    "create": N_("Order placed"),
    "price": N_("Priced"),
    "offer": N_("Offered to a provider"),
    "queue": N_("Sent to the dispatcher queue"),
    "org_accept": N_("Provider accepted"),
    "org_refuse": N_("Provider refused"),
    "org_timeout": N_("Provider did not answer in time"),
    "assign": N_("Offered to the caregiver"),
    "caregiver_accept": N_("Caregiver accepted"),
    "caregiver_refuse": N_("Caregiver refused"),
    "caregiver_timeout": N_("Caregiver did not answer in time"),
    "caregiver_unavailable": N_("Caregiver unavailable"),
    "reassign": N_("Assigned by a dispatcher"),
    "depart": N_("Caregiver on the way"),
    "check_in": N_("Checked in"),
    "check_out": N_("Checked out"),
    "complete": N_("Completed"),
    "confirm": N_("Confirmed by the family"),
    "settle": N_("Settled"),
    "cancel": N_("Cancelled"),
    "no_show": N_("No-show"),
}
SUBSIDY_LABELS: dict[str, str] = {
    "no_policy": N_("No government-purchase policy applies"),
    "not_eligible": N_("Not eligible for government purchase"),
    "item_not_covered": N_("This service is not covered by government purchase"),
    "monthly_amount_exhausted": N_("This month's subsidy is used up"),
    "monthly_count_exhausted": N_("This month's subsidised orders are used up"),
    "weekly_count_exhausted": N_("This week's subsidised orders are used up"),
    "subsidised": N_("Paid by government purchase"),
    "partly_subsidised": N_("Partly paid: the rest of this month's subsidy"),
    "not_requested": N_("Paid in full by the elder"),
}
FLAG_LABELS: dict[str, str] = {
    "outside_geofence": N_("Outside the elder's geofence"),
    "poor_accuracy": N_("GPS accuracy too poor"),
    "no_position": N_("No GPS position"),
}
ALERT_LABELS: dict[str, str] = {
    "late": N_("Late"),
    "no_show": N_("No-show"),
    "geofence": N_("Geofence"),
    "early": N_("Too early"),
    "short": N_("Too short"),
}
# The family's view of progress, in order; each step is reached at the listed statuses.
FAMILY_STEPS: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("placed", N_("Order placed"), frozenset(STATUS_LABELS) - {"cancelled"}),
    (
        "found",
        N_("Caregiver found"),
        frozenset({"caregiver_accepted", "on_the_way", "checked_in", "checked_out"})
        | SETTLED_VIEW - {"cancelled", "no_show"},
    ),
    (
        "way",
        N_("On the way"),
        frozenset({"on_the_way", "checked_in", "checked_out", "completed", "confirmed", "settled"}),
    ),
    (
        "in",
        N_("Service in progress"),
        frozenset({"checked_in", "checked_out", "completed", "confirmed", "settled"}),
    ),
    ("done", N_("Completed"), frozenset({"checked_out", "completed", "confirmed", "settled"})),
)


CHANNEL_LABELS: dict[str, str] = {
    "app": N_("App"),
    "phone": N_("Phone"),
    "api": N_("Outside app"),
    "device": N_("Device"),
    "recurring": N_("Recurring"),
}
TIER_LABELS: dict[str, str] = {
    "community": N_("Same community"),
    "street": N_("Same street"),
    "district": N_("Across the district"),
    "former": N_("Served before"),
    "day_plan": N_("Day plan"),
}
OUTCOME_LABELS: dict[str, str] = {
    "offered": N_("Offered"),
    "unplaceable": N_("Nobody available"),
    "accepted": N_("Accepted"),
    "org_refused": N_("Provider refused"),
    "org_timeout": N_("Provider did not answer"),
    "caregiver_refused": N_("Caregiver refused"),
    "caregiver_timeout": N_("Caregiver did not answer"),
    "unavailable": N_("Caregiver unavailable"),
    "superseded": N_("Replaced by hand"),
}
METHOD_LABELS: dict[str, str] = {
    "gps": N_("GPS"),
    "qr": N_("QR code"),
    "device_button": N_("Device button"),
    "manual": N_("By hand"),
}
PUNCTUALITY_LABELS: dict[str, str] = {
    "upcoming": N_("Not started yet"),
    "expected": N_("Expected now"),
    "early": N_("Too early"),
    "on_time": N_("On time"),
    "late": N_("Late"),
    "no_show": N_("No-show"),
}
ACTION_LABELS: dict[str, str] = {
    "org_accept": N_("Accept for our organisation"),
    "org_refuse": N_("Refuse"),
    "caregiver_unavailable": N_("Caregiver unavailable: dispatch again"),
    "complete": N_("Mark completed"),
    "cancel": N_("Cancel order"),
    "confirm": N_("Confirm"),
    "no_show": N_("Record a no-show"),
    "settle": N_("Settle"),
}
# The label of each action's reason box: what the reason is for.
ACTION_REASON_LABELS: dict[str, str] = {
    "org_accept": N_("Note on accepting"),
    "org_refuse": N_("Why the provider refuses"),
    "caregiver_unavailable": N_("Why the caregiver cannot come"),
    "complete": N_("Note on completing"),
    "cancel": N_("Why the order is cancelled"),
    "confirm": N_("Note on confirming"),
    "no_show": N_("What happened (no-show)"),
    "settle": N_("Note on settling"),
}
CHECKLIST_LABELS: dict[str, str] = {
    "greeted_and_identified": N_("Greeted the elder and confirmed who they are"),
    "service_delivered": N_("Service delivered as ordered"),
    "hygiene_checked": N_("Hygiene and skin checked"),
    "home_left_safe": N_("Home left safe (gas, water, doors)"),
    "skin_checked": N_("Skin checked for pressure sores"),
    "vitals_measured": N_("Blood pressure and other vitals measured"),
    "medication_checked": N_("Medication checked"),
    "wellbeing_asked": N_("Asked how the elder is feeling"),
    "home_hazards_checked": N_("Home checked for hazards"),
    "conversation_held": N_("Conversation held"),
}
SHORT_REASON_LABELS: dict[str, str] = {
    "tasks_done": N_("All tasks done early"),
    "elder_declined": N_("The elder declined part of the service"),
    "elder_not_home": N_("The elder was not at home"),
    "wellbeing_check": N_("A short wellbeing check was enough"),
    "emergency": N_("Emergency"),
    "other_with_note": N_("Other (describe in the note)"),
}
REFUSE_REASONS: dict[str, str] = {
    "too_far": N_("Too far away"),
    "schedule_clash": N_("Clashes with my schedule"),
    "lacking_skill": N_("I lack the skill for this"),
    "unwell": N_("I am unwell"),
    "other": N_("Other reason"),
}
QUEUE_REASON_LABELS: dict[str, str] = {
    "skill": N_("Nobody has the skills"),
    "busy": N_("Everyone with the skills is busy"),
    "capacity": N_("Everyone with the skills is fully booked"),
    "shift": N_("Nobody with the skills works then"),
    "excluded": N_("Everyone suitable refused or is unavailable"),
    "window": N_("The time window is not valid"),
    "no_caregivers": N_("There are no caregivers"),
    "pinned_order_refused": N_("The pinned caregiver refused"),
    "unplaceable": N_("Nobody available"),
}


def local(value: datetime | None) -> datetime | None:
    """An aware instant in China time (SQLite hands back naive UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(CHINA_TZ)


def hm(value: datetime | None) -> str:
    """'14:05' in China time."""
    found = local(value)
    return found.strftime("%H:%M") if found else ""


def md_hm(value: datetime | None) -> str:
    """'11-24 14:05' in China time."""
    found = local(value)
    return found.strftime("%m-%d %H:%M") if found else ""


def status_class(status: str) -> str:
    """The badge colour of an order status."""
    if status in ("cancelled", "no_show", "org_refused", "caregiver_refused"):
        return "badge-danger"
    if status == "queued":
        return "badge-warning"
    if status in ("completed", "confirmed", "settled", "checked_out"):
        return "badge-success"
    if status in ("on_the_way", "checked_in"):
        return "badge-accent"
    return "badge-brand"


def helpers(locale: str) -> dict[str, Any]:
    """Label functions and time formatting for the templates of orders, dispatch and visits."""

    def lab(table: dict[str, str]) -> Any:
        def get(code: str | None) -> str:
            if not code:
                return ""
            source = table.get(code)
            return translate(locale, source) if source else code

        return get

    return {
        "status_label": lab(STATUS_LABELS),
        "event_label": lab(EVENT_LABELS),
        "subsidy_label": lab(SUBSIDY_LABELS),
        "flag_label": lab(FLAG_LABELS),
        "alert_label": lab(ALERT_LABELS),
        "channel_label": lab(CHANNEL_LABELS),
        "tier_label": lab(TIER_LABELS),
        "outcome_label": lab(OUTCOME_LABELS),
        "method_label": lab(METHOD_LABELS),
        "punctuality_label": lab(PUNCTUALITY_LABELS),
        "action_label": lab(ACTION_LABELS),
        "action_reason_label": lab(ACTION_REASON_LABELS),
        "checklist_label": lab(CHECKLIST_LABELS),
        "short_reason_label": lab(SHORT_REASON_LABELS),
        "refuse_label": lab(REFUSE_REASONS),
        "queue_reason_label": lab(QUEUE_REASON_LABELS),
        "status_class": status_class,
        "hm": hm,
        "md_hm": md_hm,
        "item_name": lambda zh, en: zh if locale == "zh_CN" or not en else en,
    }
