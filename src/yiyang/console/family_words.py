"""An order's status in the family's words: booked, on the way, with her now, done.

The platform's own states ("offered to a provider", "caregiver accepted") are the dispatcher's
words. A family wants to know when, who and from where, and "on the way" only once the
caregiver really set out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from babel.dates import format_skeleton

from yiyang.errors import N_
from yiyang.kit.localtime import CHINA_TZ, local_today
from yiyang.orders.schemas import OrderListItem
from yiyang.web.i18n import translate

# Statuses that are still to come or under way (the "next visits"), the rest is history.
AHEAD = frozenset(
    {
        "created", "priced", "queued", "offered", "org_accepted", "org_refused", "assigned",
        "caregiver_accepted", "caregiver_refused", "on_the_way", "checked_in",
    }
)  # fmt: skip
FINDING = AHEAD - {"caregiver_accepted", "on_the_way", "checked_in"}
DONE = frozenset({"checked_out", "completed", "confirmed", "settled"})


@dataclass(frozen=True)
class FamilyStatus:
    """What the family reads of one order: a tone (badge colour), a headline and a detail."""

    tone: str  # waiting, booked, moving, done, bad
    headline: str
    detail: str


def when_words(locale: str, at: datetime, now: datetime) -> str:
    """'today 09:00', 'tomorrow 09:00' or 'Thu, Dec 3 09:00', in China time."""
    local = at.astimezone(CHINA_TZ)
    time_text = local.strftime("%H:%M")
    days = (local.date() - local_today(now)).days
    if days == 0:
        return translate(locale, N_("today %(time)s"), {"time": time_text})
    if days == 1:
        return translate(locale, N_("tomorrow %(time)s"), {"time": time_text})
    return f"{day_words(locale, local.date())} {time_text}"


def day_words(locale: str, day: date) -> str:
    """'Thu, Dec 3' / '12月3日周四'."""
    return format_skeleton("MMMEd", day, locale=locale)


def _who(locale: str, order: OrderListItem) -> str:
    if order.staff_name and order.facility_name:
        return translate(
            locale,
            N_("%(name)s from %(centre)s"),
            {"name": order.staff_name, "centre": order.facility_name},
        )
    return order.staff_name or ""


def family_status(
    locale: str, order: OrderListItem, now: datetime, *, rated: bool = False
) -> FamilyStatus:
    """The status of an order as the elder and family read it (never an internal state)."""
    st = order.status
    when = when_words(locale, order.planned_start or order.window_start, now)
    who = _who(locale, order)

    def say(text: str, **params: object) -> str:
        return translate(locale, text, params)

    if st in FINDING:
        return FamilyStatus(
            "waiting",
            say(N_("Booked for %(when)s"), when=when),
            say(N_("We are finding a caregiver for this visit.")),
        )
    if st == "caregiver_accepted":
        detail = say(N_("%(who)s will come."), who=who) if who else ""
        return FamilyStatus("booked", say(N_("Booked for %(when)s"), when=when), detail)
    if st == "on_the_way":
        headline = (
            say(N_("%(name)s is on the way"), name=order.staff_name)
            if order.staff_name
            else say(N_("The caregiver is on the way"))
        )
        return FamilyStatus("moving", headline, say(N_("Expected %(when)s"), when=when))
    if st == "checked_in":
        return FamilyStatus("moving", say(N_("The service is under way")), who)
    if st in DONE:
        ended = when_words(locale, order.window_start, now)
        detail = say(N_("Thank you for your rating.")) if rated or st != "completed" else ""
        if st == "completed" and not rated:
            detail = say(N_("Please tell us how it went."))
        return FamilyStatus("done", say(N_("Done · %(when)s"), when=ended), detail)
    if st == "no_show":
        return FamilyStatus(
            "bad",
            say(N_("The caregiver did not come")),
            say(N_("The call centre has been told and will call you.")),
        )
    return FamilyStatus("bad", say(N_("Cancelled")), when)
