"""The bureau's reports: `/reports` (page with charts), `/reports/print` (A4) and
`/reports/report.xlsx`, for a month or a run of days, the district or a street, one provider
or all. District roles choose the street; a street admin's report is their own street's.

A filter the report cannot take (a month that is no month, an unknown provider, a street
outside the scope) is said beside its field, and no report is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from yiyang.console.reports import report as reports
from yiyang.console.reports.cells import shown
from yiyang.console.reports.model import Report
from yiyang.console.reports.period import Period, period_of
from yiyang.console.reports.repository import provider_names
from yiyang.console.reports.workbook import MEDIA_TYPE, report_file
from yiyang.console.screen import repository as screen_queries
from yiyang.console.screen.pages import streets_for
from yiyang.errors import N_, DomainError, FieldProblem, Invalid
from yiyang.kit.localtime import local_text, local_today
from yiyang.security.audit import service as audit
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject
from yiyang.visits.payment.assessing import recent_months
from yiyang.web.deps import DbSession, Locale, PageSubject, get_locale
from yiyang.web.forms import problems_by_field
from yiyang.web.i18n import translate
from yiyang.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])

MONTHS_OFFERED = 12
FILTER_KEYS = ("month", "from", "to", "street", "provider_id")


def _text(alias: str | None = None) -> Any:
    """One query filter of at most 32 characters (each parameter needs its own Query)."""
    return Query(default=None, alias=alias, max_length=32)


@dataclass(frozen=True)
class Asked:
    """The filters as typed, and what they mean once checked."""

    values: dict[str, str]
    period: Period
    scope: reports.Scope


def _asked(
    db: Session, subject: Subject, values: dict[str, str], now: datetime
) -> Asked:  # fmt: skip
    """Check the filters; a DomainError names the field at fault."""
    subject.require(Perm.REPORT_VIEW)
    period = period_of(values.get("month"), values.get("from"), values.get("to"),
                       local_today(now))  # fmt: skip
    streets, street_name = streets_for(db, subject, values.get("street") or None, Perm.REPORT_VIEW)
    provider_id, provider_name = None, None
    raw = values.get("provider_id", "")
    if raw:
        names = provider_names(db)
        if not raw.isdigit() or int(raw) not in names:
            words = N_("No such provider.")
            raise Invalid(words, field="provider_id",
                          problems=[FieldProblem("provider_id", "unknown", words)])  # fmt: skip
        provider_id, provider_name = int(raw), names[int(raw)]
    return Asked(values, period, reports.Scope(streets, street_name, provider_id, provider_name))


def _filters(
    month: str | None = _text(), since: str | None = _text("from"),
    until: str | None = _text("to"), street: str | None = _text(),
    provider_id: str | None = _text(),
) -> dict[str, str]:  # fmt: skip
    """The report's filters as typed (blank ones left out), for every report route."""
    raw = {"month": month, "from": since, "to": until, "street": street,
           "provider_id": provider_id}  # fmt: skip
    return {k: v.strip() for k, v in raw.items() if v and v.strip()}


Filters = Annotated[dict[str, str], Depends(_filters)]


def _build(request: Request, db: Session, subject: Subject, asked: Asked, locale: str) -> Report:
    return reports.build(
        db, subject, asked.scope, asked.period, now=request.app.state.clock(),
        settings=request.app.state.settings, locale=locale,
    )  # fmt: skip


def _choices(db: Session, subject: Subject, now: datetime) -> dict[str, Any]:
    return {
        "months": recent_months(now, MONTHS_OFFERED)[::-1],
        "streets": [(c, n) for _, c, n in screen_queries.streets(db)]
        if subject.district_wide
        else [],
        "providers": sorted(provider_names(db).items(), key=lambda p: p[1]),
    }


def _page(
    request: Request, db: Session, subject: Subject, locale: str, values: dict[str, str]
) -> HTMLResponse:
    now: datetime = request.app.state.clock()
    subject.require(Perm.REPORT_VIEW)
    context: dict[str, Any] = _choices(db, subject, now) | {
        "values": values, "report": None, "errors": {}, "message": None, "shown": shown,
        "query": urlencode(values), "local_text": local_text,
    }  # fmt: skip
    try:
        asked = _asked(db, subject, values, now)
    except DomainError as exc:
        context["message"] = translate(locale, exc.message, exc.params)
        context["errors"] = problems_by_field(locale, exc.problems)
        return render(request, "console/reports.html", context, status_code=exc.status_code)
    context["report"] = _build(request, db, subject, asked, locale)
    return render(request, "console/reports.html", context)


@router.get("/reports", response_class=HTMLResponse)
def report_page(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale, values: Filters,
) -> HTMLResponse:  # fmt: skip
    """A period's report with charts, filters, and the links to its workbook and print."""
    return _page(request, db, subject, locale, values)


@router.get("/reports/print", response_class=HTMLResponse)
def report_print(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale, values: Filters,
) -> HTMLResponse:  # fmt: skip
    """The report laid out for A4 paper: headline figures and every table."""
    asked = _asked(db, subject, values, request.app.state.clock())
    report = _build(request, db, subject, asked, locale)
    context = {"report": report, "shown": shown, "local_text": local_text,
               "query": urlencode(values)}  # fmt: skip
    return render(request, "console/reports_print.html", context)


@router.get("/reports/report.xlsx")
def report_workbook(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale, values: Filters,
) -> Response:  # fmt: skip
    """The report as a workbook; the download is audited."""
    now: datetime = request.app.state.clock()
    asked = _asked(db, subject, values, now)
    content, name = report_file(_build(request, db, subject, asked, locale), locale)
    audit.record(
        db, subject, "report_export", "report", None,
        detail=f"{asked.period.first}..{asked.period.last} {urlencode(values)}", at=now,
    )  # fmt: skip
    return Response(
        content, media_type=MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )  # fmt: skip
