"""The caregiver's phone home: today's route in order, with times, travel, calls and care notes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from yiyang.alarms.response import repository as response_repository
from yiyang.console.booking import now_of
from yiyang.console.family_words import day_words
from yiyang.errors import N_
from yiyang.kit.geo import haversine_m
from yiyang.kit.localtime import local_today
from yiyang.planner.travel import StraightLineTravel
from yiyang.planner.types import Point
from yiyang.visits.care_sheet import SheetLine, day_sheet
from yiyang.visits.pages import nav_hint, visit_context
from yiyang.web.deps import DbSession, Locale, PageSubject, get_locale
from yiyang.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])

TRAVEL = StraightLineTravel()
FINISHED = frozenset({"checked_out", "completed", "confirmed", "settled"})
CAPABILITY_WORDS = {
    0: N_("Capable (level 0)"),
    1: N_("Mild loss of capability (level 1)"),
    2: N_("Moderate loss of capability (level 2)"),
    3: N_("Severe loss of capability (level 3)"),
    4: N_("Complete loss of capability (level 4)"),
}
CARE_GROUP_WORDS = {
    "disabled": N_("Disabled in daily living"),
    "severe_disability": N_("Severe disability"),
    "living_alone": N_("Lives alone"),
    "no_family": N_("No family"),
}
TRAVEL_WORDS = {
    "walk": N_("on foot"),
    "bicycle": N_("by bicycle"),
    "ebike": N_("by e-bike"),
    "car": N_("by car"),
}


@dataclass(frozen=True)
class Stop:
    """One stop of the route: the visit, its place in the day and the way there."""

    line: SheetLine
    number: int
    hint: str
    travel_min: int | None  # from the previous stop, None for the first


def route(locale: str, lines: list[SheetLine]) -> list[Stop]:
    """The day's visits in order with the travel from the stop before each."""
    stops = []
    for n, line in enumerate(lines):
        previous = lines[n - 1].visit if n else None
        minutes = None
        if previous is not None:
            here, there = line.visit, previous
            metres = haversine_m(there.lat, there.lon, here.lat, here.lon)
            minutes = (
                0
                if metres < 50
                else round(
                    TRAVEL.minutes(
                        Point(there.lat, there.lon), Point(here.lat, here.lon), line.travel_mode
                    )
                )
            )
        stops.append(Stop(line, n + 1, nav_hint(locale, previous, line.visit), minutes))
    return stops


def _day(today: date, which: str) -> tuple[str, date]:
    return ("tomorrow", today + timedelta(days=1)) if which == "tomorrow" else ("today", today)


def _context(locale: str, **values: Any) -> dict[str, Any]:
    words = {"capability_words": CAPABILITY_WORDS, "care_group_words": CARE_GROUP_WORDS}
    return visit_context(locale, travel_words=TRAVEL_WORDS, **words, **values)


@router.get("/m/today", response_class=HTMLResponse)
def today(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale, day: str = "today"
) -> HTMLResponse:
    """The caregiver's route of the day (or tomorrow), each stop with what to know and do."""
    now = now_of(request)
    which, the_day = _day(local_today(now), day)
    stops = route(locale, day_sheet(db, subject, the_day, now=now))
    current = next(
        (s.line.visit.order_id for s in stops if s.line.visit.status not in FINISHED), None
    )
    done = sum(1 for s in stops if s.line.visit.status in FINISHED)
    return render(
        request,
        "m/today.html",
        _context(
            locale,
            stops=stops,
            which=which,
            day_label=day_words(locale, the_day),
            current=current,
            done=done,
            errors={},
            alarms_waiting=response_repository.waiting_count(db, subject.user_id),
        ),
    )
