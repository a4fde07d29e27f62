"""What the booking pages share: the time-slot picker, quotes and what an elder may order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from fastapi import Request

from yiyang.dispatch.reads import read_order
from yiyang.errors import N_, DomainError, FieldProblem, Invalid
from yiyang.kit.localtime import CHINA_TZ, local_today
from yiyang.orders import orderable, subsidy_words
from yiyang.orders import service as order_service
from yiyang.orders.page_helpers import helpers
from yiyang.orders.schemas import (
    OrderableService,
    OrderableServices,
    QuoteRequest,
)
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject
from yiyang.visits import service as visit_service
from yiyang.web.deps import DbSession
from yiyang.web.forms import error_message, problems_by_field

# The services families ask for most, shown first as big tiles (the rest under "more").
FEATURED = (
    "meal_delivery", "bath_home", "cleaning", "medical_escort", "mobility_help",
    "proactive_visit",
)  # fmt: skip
GLYPHS = {
    "meal_delivery": "餐", "bath_home": "浴", "cleaning": "洁", "medical_escort": "医",
    "mobility_help": "行", "proactive_visit": "访", "emergency_help": "急",
    "home_personal_care": "护", "health_check": "康", "rehab_exercise": "康",
    "companionship": "陪", "counselling": "心", "shopping_errand": "购", "bill_paying": "缴",
}  # fmt: skip
# Time slots of the phone picker, local China time.
SLOTS: dict[str, tuple[time, time]] = {
    "morning": (time(8, 0), time(12, 0)),
    "afternoon": (time(14, 0), time(18, 0)),
}
SLOT_LABELS = {"morning": N_("Morning"), "afternoon": N_("Afternoon"), "at": N_("At a time")}
DAY_LABELS = {"today": N_("Today"), "tomorrow": N_("Tomorrow")}
DAYS_AHEAD = 14  # how far ahead the phone picker books (the orders rule allows more)
EARLIEST, LATEST = time(7, 0), time(20, 0)  # the hours a chosen time may start at


def now_of(request: Request) -> datetime:
    """The app's clock (tests move it)."""
    now: datetime = request.app.state.clock()
    return now


def page_context(locale: str, **values: Any) -> dict[str, Any]:
    """What every booking page renders with: the order helpers, the tiles' glyphs, values."""
    return helpers(locale) | {"glyphs": GLYPHS} | values


# ---------------------------------------------------------------- time windows


@dataclass(frozen=True)
class WindowChoice:
    """What the picker asked for: a day and a slot (or a time), as a UTC window."""

    day: str
    slot: str
    at: str
    start: datetime | None
    end: datetime | None


def picked_day(now: datetime, day: str) -> date | None:
    """The local date of 'today', 'tomorrow' or an ISO date; None when it is none of them."""
    today = local_today(now)
    if day == "today":
        return today
    if day == "tomorrow":
        return today + timedelta(days=1)
    try:
        return date.fromisoformat(day)
    except ValueError:
        return None


def clock_time(raw: str) -> time | None:
    """A time of day typed as HH:MM; None when it is not one."""
    try:
        return time.fromisoformat(raw.strip())
    except ValueError:
        return None


def resolve_day(day: str, on: str) -> str:
    """The day the picker means: 'today', 'tomorrow', or the date typed under 'another day'."""
    return on.strip() if day == "date" else day


def day_problem(now: datetime, day: str) -> FieldProblem | None:
    """What is wrong with the picked day, in words, on the field 'day' (None: fine or unset)."""
    if not day:
        return None
    the_day, today = picked_day(now, day), local_today(now)
    if the_day is None:
        return FieldProblem(
            "day", "bad_date", N_("Choose a day from the calendar (for example 2026-12-03).")
        )
    return orderable.day_problem(the_day, today, DAYS_AHEAD, field="day")


def time_problem(slot: str, at: str) -> FieldProblem | None:
    """What is wrong with a chosen time, on the field 'at' (None: fine or not chosen)."""
    if slot != "at" or not at.strip():
        return None
    t = clock_time(at)
    if t is None:
        return FieldProblem("at", "bad_time", N_("Enter a time such as 09:30."))
    if not EARLIEST <= t <= LATEST:
        return FieldProblem(
            "at",
            "off_hours",
            N_("Choose a time between %(first)s and %(last)s."),
            {"first": EARLIEST.strftime("%H:%M"), "last": LATEST.strftime("%H:%M")},
        )
    return None


def choice_problems(now: datetime, choice: WindowChoice) -> list[FieldProblem]:
    """The problems of the picked day and time, each on its own field."""
    found = (day_problem(now, choice.day), time_problem(choice.slot, choice.at))
    return [p for p in found if p is not None]


def window_choice(now: datetime, day: str, slot: str, at: str = "") -> WindowChoice:
    """Turn the picker's day and slot (or exact time) into a window; None where incomplete."""
    if day_problem(now, day) or time_problem(slot, at):
        return WindowChoice(day, slot, at, None, None)
    the_day = picked_day(now, day)
    start = end = None
    if the_day is not None and slot in SLOTS:
        lo, hi = SLOTS[slot]
        start = datetime.combine(the_day, lo, CHINA_TZ).astimezone(UTC)
        end = datetime.combine(the_day, hi, CHINA_TZ).astimezone(UTC)
    elif the_day is not None and slot == "at" and (t := clock_time(at)) is not None:
        start = datetime.combine(the_day, t, CHINA_TZ).astimezone(UTC)
    return WindowChoice(day, slot, at, start, end)


def slot_open(now: datetime, day: str, slot: str) -> bool:
    """Whether a slot can still be chosen (today's morning is gone in the afternoon)."""
    choice = window_choice(now, day, slot)
    return choice.end is None or choice.end > now


# ---------------------------------------------------------------- quotes


def quote_for(
    request: Request,
    db: DbSession,
    subject: Subject,
    elder_id: int,
    item_code: str,
    choice: WindowChoice,
) -> tuple[Any, dict[str, list[str]], str | None]:
    """The quote for a window, or the problems to show instead (nothing is written)."""
    locale = request.state.locale
    if choice.start is None:
        return None, {}, None
    try:
        found = order_service.quote(
            db,
            subject,
            QuoteRequest(
                elder_id=elder_id,
                item_code=item_code,
                window_start=choice.start,
                window_end=choice.end,
            ),
            now=now_of(request),
            settings=request.app.state.settings,
        )
    except DomainError as exc:
        return None, problems_by_field(locale, exc.problems), error_message(locale, exc)
    return subsidy_words.worded(found, locale), {}, None


def window_end(choice: WindowChoice, standard_minutes: int) -> datetime:
    assert choice.start is not None
    return choice.end or choice.start + timedelta(minutes=standard_minutes)


def orderable_for(
    request: Request, db: DbSession, subject: Subject, elder_id: int, day: date
) -> OrderableServices:
    """What the elder may order that day (orders.orderable decides; pages only show it)."""
    return orderable.orderable_services(
        db, subject, elder_id, day, now=now_of(request), settings=request.app.state.settings
    )


def featured_first(services: list[OrderableService]) -> list[OrderableService]:
    rank = {code: n for n, code in enumerate(FEATURED)}
    return sorted(services, key=lambda s: rank.get(s.code, len(rank)))


def picked_service(
    request: Request, db: DbSession, subject: Subject, day: str, code: str
) -> OrderableService:
    """The chosen service as the elder may order it on the picked day (today until picked)."""
    now = now_of(request)
    good = picked_day(now, day) if day_problem(now, day) is None else None  # else told apart
    on = max(good or local_today(now), local_today(now))
    return orderable.find(orderable_for(request, db, subject, own_elder(subject), on), code)


def own_elder(subject: Subject) -> int:
    """The elder a family member or elder orders for."""
    subject.require(Perm.ORDER_CREATE)
    if subject.elder_id is None:
        raise Invalid(
            N_("Your account is not linked to an elder; the call centre can order for you."),
            field="elder_id",
            code="no_elder",
        )
    return subject.elder_id


def order_view(request: Request, db: DbSession, subject: Subject, order_id: int) -> dict[str, Any]:
    """An order with its timeline, decisions and visit, as every order page shows it."""
    now = now_of(request)
    order = read_order(db, subject, order_id, locale=request.state.locale, today=local_today(now))
    policy = visit_service.policy_from(request.app.state.settings)
    visit = None
    if subject.can(Perm.VISIT_READ):
        visit = visit_service.read_visit(db, subject, order_id, now=now, policy=policy)
    return {"order": order, "visit": visit, "now": now}
