"""The page of an elder's alarm thresholds: the limits in force, set or remove the elder's own."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from yiyang.alarms import thresholds
from yiyang.alarms.threshold_schemas import ThresholdIn
from yiyang.errors import N_
from yiyang.kit.types import PlainText, RowId
from yiyang.protocols.vocabulary import Metric
from yiyang.security.subject import Subject
from yiyang.web.deps import DbSession, FormBody, Locale, PageSubject, get_locale
from yiyang.web.forms import FormRefusal, optional, problems_by_field, submit_form
from yiyang.web.i18n import translate
from yiyang.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])

METRIC_LABELS: dict[str, str] = {
    Metric.HEART_RATE: N_("Heart rate"),
    Metric.TEMPERATURE: N_("Body temperature"),
    Metric.SYSTOLIC: N_("Blood pressure, systolic"),
    Metric.DIASTOLIC: N_("Blood pressure, diastolic"),
}
FIELDS = (
    "major_high", "critical_high", "major_low", "critical_low", "consecutive",
    "window_start", "window_end", "silence_minutes", "note",
)  # fmt: skip


def _page(
    request: Request,
    db: DbSession,
    subject: Subject,
    locale: str,
    elder_id: int,
    *,
    refusal: FormRefusal | None = None,
    failed: str | None = None,
    posted: dict[str, Any] | None = None,
) -> HTMLResponse:
    elder, rows, can_edit = thresholds.page(db, subject, elder_id)
    response = render(
        request,
        "alarms/thresholds.html",
        {
            "elder": elder,
            "rows": rows,
            "can_edit": can_edit,
            "metric_label": lambda m: translate(locale, METRIC_LABELS.get(str(m), str(m))),
            "message": refusal.message if refusal else None,
            "errors": problems_by_field(locale, refusal.problems) if refusal else {},
            "failed": failed,
            "num": lambda v: "—" if v is None else f"{v:g}",
            "posted": posted or {},
        },
    )
    if refusal:
        response.status_code = refusal.status_code
    return response


@router.get("/elders/{elder_id}/alarm-thresholds", response_class=HTMLResponse)
def view(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale, elder_id: RowId
) -> HTMLResponse:
    """The limits in force for each watched metric, the elder's own marked."""
    return _page(request, db, subject, locale, elder_id)


@router.post("/elders/{elder_id}/alarm-thresholds/{metric}", response_model=None)
def save(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    form: FormBody,
    locale: Locale,
    elder_id: RowId,
    metric: PlainText,
) -> Response:
    """Set the elder's own limits for one metric; the page again with the reasons if refused."""
    payload = {name: optional(form, name) for name in FIELDS}
    now = request.app.state.clock()
    result = submit_form(
        db, locale, ThresholdIn, payload,
        lambda data: thresholds.set_threshold(db, subject, elder_id, metric, data, now=now),
    )  # fmt: skip
    if isinstance(result, FormRefusal):
        return _page(
            request, db, subject, locale, elder_id, refusal=result, failed=metric, posted=payload
        )
    return RedirectResponse(f"/elders/{elder_id}/alarm-thresholds", status_code=303)


@router.post("/elders/{elder_id}/alarm-thresholds/{metric}/reset", response_model=None)
def reset(
    request: Request, db: DbSession, subject: PageSubject, elder_id: RowId, metric: PlainText
) -> Response:
    """Go back to the defaults for one metric."""
    thresholds.remove_threshold(db, subject, elder_id, metric, now=request.app.state.clock())
    return RedirectResponse(f"/elders/{elder_id}/alarm-thresholds", status_code=303)
