"""The assessor's work queue: elders due a capability assessment, and why.

An elder is due when never assessed, when the last assessment is older than the
reassessment interval (setting `assessment_interval_months`), or when something changed
since it: a fall alarm, or a stay in hospital that ended. It combines the registry
(assessments, elders) with alarms, so it lives in console/. Every read is in the caller's
data scope; the list is paged and filtered by street and community.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from yiyang.alarms import repository as alarm_repository
from yiyang.alarms.kinds import AlarmType
from yiyang.errors import N_
from yiyang.kit.localtime import local_today
from yiyang.kit.pagination import Page, PageParams
from yiyang.registry.areas import service as areas_service
from yiyang.registry.assessments import repository as assessment_repository
from yiyang.registry.assessments.repository import LastAssessed
from yiyang.registry.elders.schemas import ElderFilter
from yiyang.registry.vocab import AwayReason
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject
from yiyang.web.deps import DbSession, PageSubject, get_locale
from yiyang.web.forms import list_page, page_number, query_filter

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])

PAGE_SIZE = 20
RISK_ALARMS = (AlarmType.FALL.value,)
FILTER_KEYS = ("street_code", "community_code")

# Why an elder is due, most pressing first.
REASONS: dict[str, str] = {
    "fall": N_("A fall since the last assessment"),
    "hospital": N_("Back from hospital since the last assessment"),
    "never": N_("Never assessed"),
    "interval": N_("Last assessment older than %(months)s months"),
}
_ORDER = {code: n for n, code in enumerate(REASONS)}


@dataclass(frozen=True)
class DueAssessment:
    """An elder due an assessment, why (reason codes, most pressing first) and since when."""

    row: LastAssessed
    reasons: tuple[str, ...]
    fall_at: datetime | None


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


def due_reasons(
    row: LastAssessed, *, fall_at: datetime | None, cutoff: date, now: datetime
) -> tuple[str, ...]:
    """The reasons this elder is due an assessment (empty: not due)."""
    last = row.assessed_at
    reasons = []
    if fall_at is not None and (last is None or fall_at > last):
        reasons.append("fall")
    elder = row.elder
    back = elder.away_until
    if (
        elder.away_reason == AwayReason.HOSPITAL
        and back is not None
        and back <= now
        and (last is None or back > last)
    ):
        reasons.append("hospital")
    if last is None:
        reasons.append("never")
    elif local_today(last) <= cutoff:
        reasons.append("interval")
    return tuple(sorted(reasons, key=_ORDER.__getitem__))


def due_assessments(
    session: Session,
    subject: Subject,
    *,
    now: datetime,
    interval_months: int,
    street_code: str | None = None,
    community_code: str | None = None,
) -> list[DueAssessment]:
    """Every elder in scope due an assessment: changes first, then never assessed, then the
    oldest assessment first."""
    rows = assessment_repository.last_assessed(
        session, subject, street_code=street_code, community_code=community_code
    )
    falls = alarm_repository.latest_by_elder(session, subject, RISK_ALARMS)
    cutoff = months_before(local_today(now), interval_months)
    due = []
    for row in rows:
        fall_at = falls.get(row.elder.id)
        reasons = due_reasons(row, fall_at=fall_at, cutoff=cutoff, now=now)
        if reasons:
            due.append(DueAssessment(row, reasons, fall_at))
    due.sort(key=lambda d: _ORDER[d.reasons[0]])  # stable: keeps the repository's order
    return due


def reason_counts(items: list[DueAssessment]) -> dict[str, int]:
    """How many elders are due for each reason (an elder may count under several)."""
    counts = dict.fromkeys(REASONS, 0)
    for item in items:
        for code in item.reasons:
            counts[code] += 1
    return counts


@router.get("/assessments/due", response_class=HTMLResponse)
def due_page(request: Request, db: DbSession, subject: PageSubject) -> HTMLResponse:
    """The elders due an assessment in the caller's scope, paged, by street and community."""
    subject.require(Perm.ASSESSMENT_READ)
    flt, values = query_filter(ElderFilter, request, FILTER_KEYS)
    months = request.app.state.settings.assessment_interval_months
    items = due_assessments(
        db, subject, now=request.app.state.clock(), interval_months=months,
        street_code=flt.street_code, community_code=flt.community_code,
    )  # fmt: skip
    params = PageParams(page=page_number(request), size=PAGE_SIZE)
    page: Page[DueAssessment] = Page(
        items=items[params.offset : params.offset + params.size],
        total=len(items), page=params.page, size=params.size,
    )  # fmt: skip
    context = {
        "page": page,
        "counts": reason_counts(items),
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
