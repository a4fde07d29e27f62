"""The duty roster pages: when each community worker of an area may be sent to alarms."""

from __future__ import annotations

from itertools import groupby
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field, create_model

from yiyang.alarms.response import duty
from yiyang.alarms.response.duty_rules import (
    WEEKDAY_LABELS,
    WEEKDAYS,
    hours_per_week,
    pattern_from_form,
    runs,
    week,
)
from yiyang.kit.types import RowId
from yiyang.security.subject import Subject
from yiyang.web.deps import DbSession, FormBody, Locale, PageSubject, get_locale
from yiyang.web.forms import FormRefusal, optional, problems_by_field, submit_form
from yiyang.web.templating import render

router = APIRouter(
    prefix="/alarms/duty", include_in_schema=False, dependencies=[Depends(get_locale)]
)

TIME_FIELDS = tuple(f"{day}_{end}" for day in WEEKDAYS for end in ("start", "end"))
DutyIn: type[BaseModel] = create_model(
    "DutyIn",
    note=(str | None, Field(default=None, max_length=200)),
    **{name: (str | None, Field(default=None, max_length=5)) for name in TIME_FIELDS},  # type: ignore[call-overload]
)


def _default_pattern(request: Request) -> dict[str, list[str]]:
    start, _, end = request.app.state.settings.alarm_community_hours.partition("-")
    return {day: [start.strip(), end.strip()] for day in WEEKDAYS}


def _shared(request: Request) -> dict[str, Any]:
    return {
        "runs": runs,
        "hours_per_week": hours_per_week,
        "day_labels": WEEKDAY_LABELS,
        "default_pattern": _default_pattern(request),
    }


@router.get("", response_class=HTMLResponse)
def roster(request: Request, db: DbSession, subject: PageSubject) -> HTMLResponse:
    """Every community worker of the reader's area with the hours they may be sent."""
    rows = duty.roster(db, subject)
    streets = [(street, list(members)) for street, members in groupby(rows, lambda r: r.street)]
    return render(
        request, "alarms/response/duty_list.html", {"streets": streets, **_shared(request)}
    )


def _form(
    request: Request,
    db: DbSession,
    subject: Subject,
    locale: str,
    user_id: int,
    *,
    refusal: FormRefusal | None = None,
    posted: dict[str, Any] | None = None,
) -> HTMLResponse:
    row = duty.worker(db, subject, user_id)
    pattern = row.duty.pattern if row.duty else _default_pattern(request)
    shown = posted or {
        **{f"{s.day}_start": s.start for s in week(pattern)},
        **{f"{s.day}_end": s.end for s in week(pattern)},
        "note": row.duty.note if row.duty else None,
    }
    response = render(
        request,
        "alarms/response/duty_form.html",
        {
            "row": row,
            "shown": shown,
            "message": refusal.message if refusal else None,
            "errors": problems_by_field(locale, refusal.problems) if refusal else {},
            **_shared(request),
        },
    )
    if refusal:
        response.status_code = refusal.status_code
    return response


@router.get("/{user_id}", response_class=HTMLResponse)
def edit(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale, user_id: RowId
) -> HTMLResponse:
    """One worker's week, to change."""
    return _form(request, db, subject, locale, user_id)


@router.post("/{user_id}", response_model=None)
def save(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    form: FormBody,
    locale: Locale,
    user_id: RowId,
) -> Response:
    """Store the worker's own hours; the form again with each day's problem if refused."""
    payload = {name: optional(form, name) for name in (*TIME_FIELDS, "note")}
    now = request.app.state.clock()

    def store(data: BaseModel) -> None:
        values = data.model_dump()
        pattern, problems = pattern_from_form(values)
        duty.set_hours(db, subject, user_id, pattern, values["note"], problems, now=now)

    result = submit_form(db, locale, DutyIn, payload, store)
    if isinstance(result, FormRefusal):
        return _form(request, db, subject, locale, user_id, refusal=result, posted=payload)
    return RedirectResponse("/alarms/duty", status_code=303)


@router.post("/{user_id}/default", response_model=None)
def back_to_default(
    request: Request, db: DbSession, subject: PageSubject, user_id: RowId
) -> Response:
    """Drop the worker's own hours: the district's default office hours apply again."""
    duty.clear_hours(db, subject, user_id, now=request.app.state.clock())
    return RedirectResponse("/alarms/duty", status_code=303)
