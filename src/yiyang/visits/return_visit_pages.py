"""The return-visit (回访) queue of the call centre: due today, overdue, done; record a call."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from yiyang.kit.types import RowId
from yiyang.orders.page_helpers import helpers
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject
from yiyang.visits import return_visits
from yiyang.visits.care_rules import CallResult
from yiyang.visits.care_schemas import CallIn
from yiyang.visits.wording import RESULT_WORDS
from yiyang.web.deps import DbSession, FormBody, Locale, PageSubject, get_locale
from yiyang.web.forms import FormRefusal, optional, problems_by_field, submit_form
from yiyang.web.i18n import translate
from yiyang.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])


def _page(
    request: Request,
    db: DbSession,
    subject: Subject,
    locale: str,
    tab: str,
    *,
    refusal: FormRefusal | None = None,
    failed_id: int | None = None,
) -> HTMLResponse:
    now = request.app.state.clock()
    response = render(
        request,
        "return_visits/queue.html",
        {
            "tab": tab,
            "rows": return_visits.queue(db, subject, tab, now),
            "counts": return_visits.counts(db, subject, now),
            "results": list(CallResult),
            "result_label": lambda c: (
                translate(locale, RESULT_WORDS[c]) if c in RESULT_WORDS else ""
            ),
            "message": refusal.message if refusal else None,
            "errors": problems_by_field(locale, refusal.problems) if refusal else {},
            "failed_id": failed_id,
            **helpers(locale),
        },
    )
    if refusal:
        response.status_code = refusal.status_code
    return response


@router.get("/return-visits", response_class=HTMLResponse)
def queue(request: Request, db: DbSession, subject: PageSubject, locale: Locale) -> HTMLResponse:
    """The call-backs of one tab, with the elder's phone as the reader may see it."""
    subject.require(Perm.RETURN_VISIT_WRITE)
    tab = request.query_params.get("tab", "today")
    return _page(request, db, subject, locale, tab if tab in return_visits.TABS else "today")


@router.post("/return-visits/{due_id}/call", response_model=None)
def call(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    form: FormBody,
    locale: Locale,
    due_id: RowId,
) -> Response:
    """Record one call; back to the same tab."""
    subject.require(Perm.RETURN_VISIT_WRITE)
    tab = optional(form, "tab") or "today"
    tab = tab if tab in return_visits.TABS else "today"
    payload: dict[str, Any] = {
        "result": optional(form, "result") or "",
        "satisfaction": optional(form, "satisfaction"),
        "notes": optional(form, "notes"),
    }
    now = request.app.state.clock()
    result = submit_form(
        db, locale, CallIn, payload,
        lambda data: return_visits.record_call(db, subject, due_id, data, now=now),
    )  # fmt: skip
    if isinstance(result, FormRefusal):
        return _page(request, db, subject, locale, tab, refusal=result, failed_id=due_id)
    return RedirectResponse(f"/return-visits?tab={tab}", status_code=303)
