"""Issue a month's report and read back what was issued: the report as data, in every
language of the product, frozen from the moment it is issued (DOMAIN.md §10)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yiyang.console.reports import repository
from yiyang.console.reports.model import Column, Figure, Report, Table
from yiyang.console.reports.models import IssuedReport
from yiyang.console.reports.period import month_period
from yiyang.errors import N_, Conflict, Invalid
from yiyang.kit.localtime import local_today
from yiyang.security.audit import service as audit
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject
from yiyang.web.i18n import LOCALES

REASON_MAX = 200


def scope_key(street: str | None, provider_id: int | None) -> str:
    """The street's id and the provider's id, "-" for none."""
    return f"{street or '-'}/{provider_id or '-'}"


def to_data(report: Report) -> dict[str, Any]:
    """The report as JSON-ready data (its dates in ISO form)."""
    data = asdict(report)
    data["first"], data["last"] = report.first.isoformat(), report.last.isoformat()
    data["generated_at"] = report.generated_at.isoformat()
    return data


def from_data(data: dict[str, Any]) -> Report:
    """The report as it was issued."""
    tables = [
        Table(**(t | {"columns": [Column(**c) for c in t["columns"]]})) for t in data["tables"]
    ]
    return Report(
        title=data["title"],
        scope=data["scope"],
        first=date.fromisoformat(data["first"]),
        last=date.fromisoformat(data["last"]),
        generated_at=datetime.fromisoformat(data["generated_at"]),
        figures=[Figure(**f) for f in data["figures"]],
        tables=tables,
    )


def issued_in(row: IssuedReport, locale: str) -> Report:
    """An issued version in the reader's language."""
    return from_data(row.content.get(locale) or row.content[LOCALES[0]])


def _raced(version: int) -> Conflict:
    return Conflict(
        N_("The report was issued meanwhile (version %(version)s): look at it before issuing"
           " again."),
        code="issued_meanwhile",
        version=version,
    )  # fmt: skip


def issue(
    session: Session,
    subject: Subject,
    *,
    month: str,
    key: str,
    seen_version: int,
    reason: str,
    now: datetime,
    build: Callable[[str], Report],
) -> IssuedReport:
    """Freeze the month's report as the next version; the caller says which version it saw,
    so that two people issuing at once cannot both believe theirs is the newest."""
    subject.require(Perm.REPORT_ISSUE)
    if month_period(month).last >= local_today(now):
        raise Invalid(N_("A month's report is issued once the month is over."), field="month")
    why = " ".join(reason.split()) or None
    if why is not None and len(why) > REASON_MAX:
        raise Invalid(
            N_("The reason may be at most %(max)s characters."), field="reason", max=REASON_MAX
        )
    latest = repository.latest_issue(session, month, key)
    current = latest.version if latest is not None else 0
    if seen_version != current:
        raise _raced(current)
    if current and why is None:
        raise Invalid(
            N_("Say why the month's report is issued again."), field="reason", code="required"
        )
    row = IssuedReport(
        month=month, scope_key=key, version=current + 1, issued_at=now,
        issued_by=subject.user_id, issued_by_name=subject.display_name, reason=why,
        content={locale: to_data(build(locale)) for locale in LOCALES},
    )  # fmt: skip
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as exc:  # another issue of the same version committed first
        raise _raced(current + 1) from exc
    audit.record(
        session, subject, "report_issue", "report", row.id,
        after={"month": month, "scope": key, "version": row.version}, detail=why, at=now,
    )  # fmt: skip
    return row
