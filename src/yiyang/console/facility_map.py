"""The facilities map: every facility in scope on the district outline, filtered by kind,
street, what it has room for (and how much) and whether its caregivers have visits today.

The filter is read strictly: a value the page did not offer is refused with a 422 that says
which filter is wrong, in words, and the map is not drawn from a guess.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field, ValidationError

from yiyang.console.booking import now_of
from yiyang.errors import N_
from yiyang.kit.localtime import local_today
from yiyang.orders import day_repository
from yiyang.registry.areas import service as areas_service
from yiyang.registry.facilities.models import Facility
from yiyang.registry.facilities.schemas import FacilityFilter
from yiyang.registry.vocab import LABELS, FacilityKind
from yiyang.security.roles import Perm
from yiyang.web.deps import DbSession, Locale, PageSubject, get_locale
from yiyang.web.i18n import translate
from yiyang.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])
KEYS = ("kind", "street_code", "offers", "min_capacity", "use")
SHOWN = 1000  # points drawn; the district has a few hundred facilities
LISTED = 30  # rows of the table under the map
# Each filter's name on the page, for the message that says which one is wrong.
FIELD_WORDS = {
    "kind": N_("Kind"),
    "street_code": N_("Street"),
    "offers": N_("Room for"),
    "min_capacity": N_("At least"),
    "use": N_("Visits today"),
}
OFFERS = {
    "beds": N_("Long-stay beds"),
    "day_places": N_("Day places"),
    "meals": N_("Meals a day"),
}
USES = {"busy": N_("With visits today"), "idle": N_("No visits today")}
TIP = N_(
    "%(name)s · %(street)s\nLong-stay beds %(beds)s · day places %(day)s · meals %(meals)s\n"
    "Visits today %(load)s"
)


class MapFilter(BaseModel):
    """The map's filters as the page offers them (anything else is refused)."""

    kind: FacilityKind | None = None
    street_code: str | None = Field(default=None, pattern=r"^\d{9}$")
    offers: Literal["beds", "day_places", "meals"] | None = None
    min_capacity: int | None = Field(default=None, ge=0, le=100_000)
    use: Literal["busy", "idle"] | None = None


def _size(f: Facility) -> int:
    """A point's size: grows with the facility's largest capacity, within 6..20 px."""
    room = max(f.beds_long_stay, f.day_places, f.meals_per_day // 2)
    return int(min(20, 6 + room**0.5 * 1.1))


def map_data(locale: str, rows: list[tuple[Facility, int]]) -> dict[str, Any]:
    """The `facilities` component's data: points by kind with a tooltip in words."""
    return {
        "kinds": {str(k): translate(locale, LABELS.get(str(k), str(k))) for k in FacilityKind},
        "facilities": [
            {
                "id": f.id,
                "name": f.name,
                "kind": f.kind,
                "lat": f.lat,
                "lon": f.lon,
                "size": _size(f),
                "tip": translate(
                    locale,
                    TIP,
                    {
                        "name": f.name,
                        "street": f.street.name,
                        "beds": f.beds_long_stay,
                        "day": f.day_places,
                        "meals": f.meals_per_day,
                        "load": load,
                    },
                ),
            }
            for f, load in rows
        ],
    }


def _read(request: Request) -> tuple[MapFilter | None, dict[str, str], list[str]]:
    """The filter from the query string, the raw values, and the names of wrong filters."""
    values = {k: v.strip() for k in KEYS if (v := request.query_params.get(k, "")).strip()}
    try:
        return MapFilter.model_validate(values), values, []
    except ValidationError as exc:
        return None, values, sorted({str(e["loc"][0]) for e in exc.errors()})


@router.get("/facilities/map", response_class=HTMLResponse)
def facilities_map(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale
) -> HTMLResponse:
    """Facilities in scope on the district map with their capacity and today's visits."""
    subject.require(Perm.FACILITY_READ)
    flt, values, wrong = _read(request)
    today: date = local_today(now_of(request))
    context: dict[str, Any] = {
        "values": values,
        "wrong": [translate(locale, FIELD_WORDS[w]) for w in wrong],
        "kinds": [str(k) for k in FacilityKind],
        "choices": areas_service.area_choices(db, subject),
        "offers": OFFERS,
        "uses": USES,
        "rows": [],
        "total": 0,
        "shown": SHOWN,
        "listed": LISTED,
        "facility_map": None,
    }
    if flt is None:
        return render(request, "facilities/map.html", context, status_code=422)
    rows, total = day_repository.facilities_on_map(
        db,
        subject,
        FacilityFilter(
            kind=flt.kind,
            street_code=flt.street_code,
            offers=flt.offers,
            min_capacity=flt.min_capacity,
            active=True,
        ),
        today,
        busy=None if flt.use is None else flt.use == "busy",
        limit=SHOWN,
    )
    context |= {"rows": rows, "total": total, "facility_map": map_data(locale, rows)}
    return render(request, "facilities/map.html", context)
