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
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from yiyang.console.reports import issued, repository
from yiyang.console.reports import report as reports
from yiyang.console.reports.cells import shown
from yiyang.console.reports.model import Report
from yiyang.console.reports.models import IssuedReport
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
from yiyang.web.deps import DbSession, FormBody, Locale, PageSubject, get_locale
from yiyang.web.forms import problems_by_field, refused, text
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

    @property
    def month(self) -> str | None:
        """The month asked for as a whole (the one kind of report that is issued)."""
        if "from" in self.values or "to" in self.values:
            return None
        return self.values.get("month")

    @property
    def key(self) -> str:
        """The scope as issued reports are filed: the street and the provider."""
        street = next(iter(self.scope.streets)) if self.scope.streets else None
        return issued.scope_key(str(street) if street else None, self.scope.provider_id)


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


@dataclass(frozen=True)
class Shown:
    """The report a reader gets: the issued version of a month unless live figures are
    asked for, and that version (if any) either way."""

    report: Report
    issue: IssuedReport | None
    live: bool


def _shown(request: Request, db: Session, subject: Subject, asked: Asked, locale: str) -> Shown:
    latest = repository.latest_issue(db, asked.month, asked.key) if asked.month else None
    live = latest is None or request.query_params.get("live") == "1"
    if live:
        return Shown(_build(request, db, subject, asked, locale), latest, True)
    assert latest is not None
    return Shown(issued.issued_in(latest, locale), latest, False)


def _choices(db: Session, subject: Subject, now: datetime) -> dict[str, Any]:
    return {
        "months": recent_months(now, MONTHS_OFFERED)[::-1],
        "streets": [(c, n) for _, c, n in screen_queries.streets(db)]
        if subject.district_wide
        else [],
        "providers": sorted(provider_names(db).items(), key=lambda p: p[1]),
    }


def _issuable(asked: Asked, subject: Subject, now: datetime) -> bool:
    """Whether the reader may issue this report now: a whole month that is over."""
    if asked.month is None or not subject.can(Perm.REPORT_ISSUE):
        return False
    return asked.period.last < local_today(now)


def _page(
    request: Request, db: Session, subject: Subject, locale: str, values: dict[str, str],
    *, message: str | None = None, errors: dict[str, list[str]] | None = None,
    status_code: int = 200,
) -> HTMLResponse:  # fmt: skip
    now: datetime = request.app.state.clock()
    subject.require(Perm.REPORT_VIEW)
    context: dict[str, Any] = _choices(db, subject, now) | {
        "values": values, "report": None, "errors": errors or {}, "message": message,
        "shown": shown, "query": urlencode(values), "local_text": local_text,
        "issue": None, "live": True, "issuable": False, "filters": urlencode(values),
    }  # fmt: skip
    try:
        asked = _asked(db, subject, values, now)
    except DomainError as exc:
        context["message"] = translate(locale, exc.message, exc.params)
        context["errors"] = problems_by_field(locale, exc.problems)
        return render(request, "console/reports.html", context, status_code=exc.status_code)
    got = _shown(request, db, subject, asked, locale)
    live = {"live": "1"} if got.issue and got.live else {}
    context |= {"report": got.report, "issue": got.issue, "live": got.live,
                "issuable": _issuable(asked, subject, now), "query": urlencode(values | live),
                "filters": urlencode(values)}  # fmt: skip
    return render(request, "console/reports.html", context, status_code=status_code)


@router.get("/reports", response_class=HTMLResponse)
def report_page(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale, values: Filters,
) -> HTMLResponse:  # fmt: skip
    """A period's report with charts, filters, and the links to its workbook and print; an
    issued month shows its issued version (live=1: the figures as of now)."""
    return _page(request, db, subject, locale, values)


@router.post("/reports/issue", response_model=None)
def issue_report(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale, values: Filters,
    form: FormBody,
) -> Response:  # fmt: skip
    """Freeze the month's report as its next version (refused: the page says why)."""
    subject.require(Perm.REPORT_ISSUE)
    now: datetime = request.app.state.clock()

    def act() -> None:
        asked = _asked(db, subject, values, now)
        if asked.month is None:
            raise Invalid(N_("Only a whole month's report is issued."), field="month")
        seen = text(form, "seen_version")
        issued.issue(
            db, subject, month=asked.month, key=asked.key,
            seen_version=int(seen) if seen.isdigit() else -1, reason=text(form, "reason"),
            now=now, build=lambda loc: _build(request, db, subject, asked, loc),
        )  # fmt: skip

    refusal = refused(locale, act)
    if refusal is not None:
        problems, status_code, headline = refusal
        return _page(
            request, db, subject, locale, values, message=headline,
            errors=problems_by_field(locale, problems), status_code=status_code,
        )  # fmt: skip
    return RedirectResponse(f"/reports?{urlencode(values)}", status_code=303)


@router.get("/reports/print", response_class=HTMLResponse)
def report_print(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale, values: Filters,
) -> HTMLResponse:  # fmt: skip
    """The report laid out for A4 paper: headline figures and every table."""
    asked = _asked(db, subject, values, request.app.state.clock())
    got = _shown(request, db, subject, asked, locale)
    context = {"report": got.report, "issue": got.issue, "live": got.live, "shown": shown,
               "local_text": local_text, "query": urlencode(values)}  # fmt: skip
    return render(request, "console/reports_print.html", context)


@router.get("/reports/report.xlsx")
def report_workbook(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale, values: Filters,
) -> Response:  # fmt: skip
    """The report as a workbook (an issued month: its issued version); the download is
    audited."""
    now: datetime = request.app.state.clock()
    asked = _asked(db, subject, values, now)
    got = _shown(request, db, subject, asked, locale)
    content, name = report_file(got.report, locale)
    version = f" v{got.issue.version}" if got.issue and not got.live else ""
    audit.record(
        db, subject, "report_export", "report", None,
        detail=f"{asked.period.first}..{asked.period.last}{version} {urlencode(values)}", at=now,
    )  # fmt: skip
    return Response(
        content, media_type=MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )  # fmt: skip
