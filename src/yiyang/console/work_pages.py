"""The call centre's work page: alerts, the dispatcher queue, a new order, caller lookup.

Operators and supervisors land here (it is their home page). The alerts and queue refresh
themselves every 15 s as one htmx fragment (`/work/live`); server-sent events come later.
`GET /work/caller?phone=…` is the screen-pop target: a telephone system (or the alarm
centre) opens it with the calling number and the operator sees who is calling.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from yiyang.console import work_queue
from yiyang.errors import N_, Forbidden, Invalid
from yiyang.kit.idcard import age_on
from yiyang.kit.localtime import local_today
from yiyang.kit.pagination import PageParams
from yiyang.orders.page_helpers import helpers
from yiyang.registry.elders import caller_repository
from yiyang.registry.elders import repository as elder_repository
from yiyang.registry.elders.models import Elder
from yiyang.registry.elders.schemas import ElderFilter
from yiyang.security.disclosure import Kind, Viewer, mask, may_see
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject
from yiyang.web.deps import DbSession, Locale, PageSubject, get_locale
from yiyang.web.forms import error_message
from yiyang.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])

REFRESH_SECONDS = 15
CALLER_LIMIT = 20
MIN_DIGITS, MAX_DIGITS = 4, 12  # the last four digits … a landline with its area code
_SEPARATORS = re.compile(r"[\s\-().]")


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock()
    return now


def caller_digits(raw: str) -> str:
    """The digits of a calling number as typed or sent by a telephone system: spaces, dashes,
    brackets and a leading +86 dropped; 4 to 12 digits, else Invalid naming the field."""
    text = _SEPARATORS.sub("", raw.strip())
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    if not text:
        raise Invalid(N_("Enter a phone number, or its last four digits."), field="phone")
    if not (text.isascii() and text.isdigit()):
        raise Invalid(
            N_("A phone number has only digits (spaces and dashes are fine)."), field="phone"
        )
    if len(text) < MIN_DIGITS:
        raise Invalid(N_("Enter at least the last four digits of the number."), field="phone")
    if len(text) > MAX_DIGITS:
        raise Invalid(
            N_("A phone number has at most %(count)s digits."), field="phone", count=MAX_DIGITS
        )
    return text


@dataclass(frozen=True)
class Caller:
    """An elder who may be calling, and how the number matched (their own, or a contact's)."""

    elder_id: int
    name: str
    street: str
    community: str
    address: str
    age: int
    phone: str | None
    matched: str  # "elder" or "contact"
    contact_name: str | None = None
    contact_relation: str | None = None
    contact_phone: str | None = None


def find_callers(session: Session, subject: Subject, digits: str, *, now: datetime) -> list[Caller]:
    """Elders in scope whose own number, or a contact's, is `digits` or ends with them.

    The elder's own number goes through the elder search; phones are shown as the reader's
    permission allows (security/disclosure.py). Only roles that see phone numbers may look a
    caller up by one: for others it would reveal masked numbers one guess at a time.
    """
    viewer = Viewer(subject)
    if not subject.can(Perm.ELDER_READ):
        raise Forbidden(
            N_("Your role does not see the elders' records, so it may not look callers up.")
        )
    if not may_see(viewer, Kind.ELDER_PHONE):
        raise Forbidden(
            N_("Your role does not see phone numbers, so it may not look callers up by one.")
        )
    today = local_today(now)
    found, _, _ = elder_repository.search(
        session, subject, ElderFilter(q=digits), PageParams(page=1, size=CALLER_LIMIT), today,
        count_cap=CALLER_LIMIT,
    )  # fmt: skip
    callers = [
        _caller(e, today, viewer, "elder")
        for e in found
        if e.phone and (e.phone == digits or e.phone.endswith(digits))
    ]
    seen = {c.elder_id for c in callers}
    for elder in caller_repository.by_contact_phone(session, subject, digits, limit=CALLER_LIMIT):
        if elder.id in seen:
            continue
        contact = next(c for c in elder.contacts if c.phone.endswith(digits))
        callers.append(
            _caller(
                elder, today, viewer, "contact", contact_name=contact.name,
                contact_relation=contact.relationship,
                contact_phone=mask(Kind.CONTACT_PHONE, contact.phone, viewer),
            )
        )  # fmt: skip
    return callers


def _caller(elder: Elder, today: Any, viewer: Viewer, matched: str, **contact: Any) -> Caller:
    return Caller(
        elder_id=elder.id,
        name=elder.name,
        street=elder.street.name,
        community=elder.community.name,
        address=elder.address,
        age=age_on(elder.birth_date, today),
        phone=mask(Kind.ELDER_PHONE, elder.phone, viewer),
        matched=matched,
        **contact,
    )


def _context(locale: str, **values: Any) -> dict[str, Any]:
    return helpers(locale) | {"refresh_s": REFRESH_SECONDS} | values


def desk(request: Request, db: Session, subject: Subject, locale: str) -> HTMLResponse:
    """The whole work page (also the home page of operators and supervisors)."""
    now = _now(request)
    work = work_queue.work_queue(db, subject, now=now, locale=locale)
    context = _context(locale, work=work, now=now, phone="", callers=None, caller_error=None)
    return render(request, "work/desk.html", context)


def _require_desk(subject: Subject) -> None:
    if not (subject.can(Perm.ORDER_DISPATCH) and subject.can(Perm.ALERT_READ)):
        raise Forbidden(N_("The work page is for the call centre and its dispatchers."))


@router.get("/work", response_class=HTMLResponse)
def work_page(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale
) -> HTMLResponse:
    """Alerts and the dispatcher queue with counts, a new order, caller lookup, return visits."""
    _require_desk(subject)
    return desk(request, db, subject, locale)


@router.get("/work/live", response_class=HTMLResponse)
def live(request: Request, db: DbSession, subject: PageSubject, locale: Locale) -> HTMLResponse:
    """The alerts and the queue of the work page, polled by htmx every 15 s."""
    _require_desk(subject)
    now = _now(request)
    work = work_queue.work_queue(db, subject, now=now, locale=locale)
    return render(request, "work/_live.html", _context(locale, work=work, now=now))


@router.get("/work/caller", response_class=HTMLResponse)
def caller(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    locale: Locale,
    phone: str | None = None,
) -> HTMLResponse:
    """Who is calling from this number: the screen-pop target of the telephone system.

    Each match is a card with the elder's areas, age and address; without a number the page
    is the lookup form alone.
    """
    now = _now(request)
    template = "work/_caller.html" if request.headers.get("hx-request") else "work/caller.html"
    if phone is None:
        return render(
            request, template, _context(locale, phone="", callers=None, caller_error=None)
        )
    raw = phone[:64]
    try:
        found = find_callers(db, subject, caller_digits(phone), now=now)
    except (Invalid, Forbidden) as exc:
        context = _context(locale, phone=raw, callers=None, caller_error=error_message(locale, exc))
        return render(request, template, context, status_code=exc.status_code)
    context = _context(locale, phone=raw, callers=found, caller_error=None)
    return render(request, template, context)
