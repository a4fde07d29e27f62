"""The assessor's work queue: elders due a capability assessment, and why.

An elder is due when never assessed, when the last assessment is older than the
reassessment interval (setting `assessment_interval_months`), or when something changed
since it: a fall alarm, or a stay in hospital that ended. It combines the registry
(assessments, elders) with alarms, so it lives in console/. Every read is in the caller's
data scope; the list is paged and filtered by street and community.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from yiyang.alarms import repository as alarm_repository
from yiyang.alarms.kinds import AlarmType
from yiyang.errors import N_
from yiyang.kit.localtime import CHINA_TZ, local_today
from yiyang.kit.pagination import Page, PageParams
from yiyang.registry.areas import service as areas_service
from yiyang.registry.assessments import repository as assessment_repository
from yiyang.registry.assessments.repository import DueElder
from yiyang.registry.elders.schemas import ElderFilter
from yiyang.security.roles import Perm
from yiyang.web.deps import DbSession, PageSubject, get_locale
from yiyang.web.forms import list_page, page_number, query_filter

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])

PAGE_SIZE = 20
RISK_ALARMS = (AlarmType.FALL.value,)
FILTER_KEYS = ("street_code", "community_code")

# Why an elder is due (assessment_repository.DUE_REASONS), most pressing first.
REASONS: dict[str, str] = {
    "fall": N_("A fall since the last assessment"),
    "hospital": N_("Back from hospital since the last assessment"),
    "never": N_("Never assessed"),
    "interval": N_("Last assessment older than %(months)s months"),
}


def months_before(day: date, months: int) -> date:
    """The same day of the month `months` earlier (the month's last day when it is shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    for last in (day.day, 30, 29, 28):
        try:
            return date(year, month + 1, last)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def stale_before(now: datetime, interval_months: int) -> datetime:
    """An assessment before this instant is older than the interval: one made on the day
    `interval_months` before today (China calendar) or earlier."""
    cutoff = months_before(local_today(now), interval_months)
    return datetime.combine(cutoff + timedelta(days=1), time(), CHINA_TZ)


@router.get("/assessments/due", response_class=HTMLResponse)
def due_page(request: Request, db: DbSession, subject: PageSubject) -> HTMLResponse:
    """The elders due an assessment in the caller's scope, paged, by street and community."""
    subject.require(Perm.ASSESSMENT_READ)
    flt, values = query_filter(ElderFilter, request, FILTER_KEYS)
    months = request.app.state.settings.assessment_interval_months
    now = request.app.state.clock()
    params = PageParams(page=page_number(request), size=PAGE_SIZE)
    items, total, counts = assessment_repository.due_page(
        db, subject, alarm_repository.latest_by_elder(subject, RISK_ALARMS), now=now,
        stale_before=stale_before(now, months), page=params, street_code=flt.street_code,
        community_code=flt.community_code,
    )  # fmt: skip
    page: Page[DueElder] = Page(items=items, total=total, page=params.page, size=params.size)
    context = {
        "page": page,
        "counts": counts,
        "reasons": REASONS,
        "months": months,
        "choices": areas_service.area_choices(db, subject),
        "may_assess": subject.can(Perm.ASSESSMENT_WRITE),
        "filter_query": urlencode(values),
    }
    return list_page(
        request, "/assessments/due", "assessments/due.html", "assessments/_due_results.html",
        values, context,
    )  # fmt: skip
