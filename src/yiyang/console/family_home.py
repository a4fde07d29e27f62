"""The elder's and the family's phone home: the next visits, who is coming, order again, history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from yiyang.alarms.response.family import family_alarms
from yiyang.console.booking import EARLIEST, LATEST, now_of, page_context
from yiyang.console.family_follow import followed_elders
from yiyang.console.family_words import AHEAD, DONE, FamilyStatus, family_status
from yiyang.kit.localtime import CHINA_TZ
from yiyang.kit.pagination import PageParams
from yiyang.orders import service as order_service
from yiyang.orders.schemas import OrderFilter, OrderListItem
from yiyang.registry.elders import away as away_service
from yiyang.registry.elders import repository as elder_repository
from yiyang.registry.elders.schemas import AwayState
from yiyang.security.roles import Perm, Role
from yiyang.security.subject import Subject
from yiyang.visits import feedback as feedback_service
from yiyang.web.deps import DbSession, Locale, PageSubject, get_locale
from yiyang.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])

# The roles whose home is a phone page (console/home.py sends them there).
PHONE_HOMES = {Role.ELDER: "/m/home", Role.FAMILY: "/m/home", Role.CAREGIVER: "/m/today"}
HOTLINE = "12349"  # the national elderly-care service hotline
HISTORY = 12  # past visits shown
AGAIN = 4  # past services offered to order again


@dataclass(frozen=True)
class Line:
    """One order on the home page with its words and, once done, its stars."""

    order: OrderListItem
    status: FamilyStatus
    score: int | None = None


@dataclass(frozen=True)
class Again:
    """A past service to book again at the same time of day, tomorrow."""

    code: str
    name_zh: str
    name_en: str
    href: str


@dataclass(frozen=True)
class FamilyHome:
    """What the home page shows."""

    elder_name: str | None
    ahead: list[Line]
    history: list[Line]
    again: list[Again]
    away: AwayState | None = None  # the elder's stay away from home


def _again(done: list[OrderListItem]) -> list[Again]:
    seen: dict[str, Again] = {}
    for o in done:
        if o.item_code in seen:
            continue
        at = o.window_start.astimezone(CHINA_TZ).time()
        when = f"slot=at&at={at:%H:%M}" if EARLIEST <= at <= LATEST else "slot=morning"
        href = f"/m/order/{o.item_code}?day=tomorrow&{when}"
        seen[o.item_code] = Again(o.item_code, o.item_name, o.item_name_en, href)
    return list(seen.values())[:AGAIN]


def family_home(session: Session, subject: Subject, locale: str, *, now: datetime) -> FamilyHome:
    """The elder's orders in the family's words: what is coming first, then what was done."""
    subject.require(Perm.ORDER_READ)
    items = order_service.list_orders(session, subject, OrderFilter(), PageParams(size=60)).items
    ahead = sorted((o for o in items if o.status in AHEAD), key=lambda o: o.window_start)
    past = [o for o in items if o.status not in AHEAD][:HISTORY]
    scores = feedback_service.scores(session, subject, [o.id for o in past])
    own = {subject.elder_id} if subject.elder_id is not None else set()
    return FamilyHome(
        elder_name=elder_repository.names(session, subject, own).get(subject.elder_id or 0),
        ahead=[Line(o, family_status(locale, o, now)) for o in ahead],
        history=[
            Line(o, family_status(locale, o, now, rated=o.id in scores), scores.get(o.id))
            for o in past
        ],
        again=_again([o for o in past if o.status in DONE]),
        away=away_service.own_away_state(session, subject, now=now),
    )


@router.get("/m/home", response_class=HTMLResponse)
def home(request: Request, db: DbSession, subject: PageSubject, locale: Locale) -> HTMLResponse:
    """The phone home of an elder or a family member."""
    now = now_of(request)
    view = family_home(db, subject, locale, now=now)
    alarms = family_alarms(db, subject, locale, now=now)
    return render(
        request,
        "m/home.html",
        page_context(
            locale,
            view=view,
            hotline=HOTLINE,
            can_order=_can_order(subject),
            alarms=alarms,
            following=followed_elders(db, subject),
        ),
    )


def _can_order(subject: Subject) -> bool:
    return subject.can(Perm.ORDER_CREATE) and subject.elder_id is not None
