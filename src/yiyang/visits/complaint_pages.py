"""The complaints page (open ones first, filtered within scope) and one complaint's handling."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from starlette.datastructures import FormData

from yiyang.kit.types import RowId
from yiyang.orders.page_helpers import helpers
from yiyang.orders.pages import provider_choices
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject
from yiyang.visits import complaints, repository
from yiyang.visits.care_rules import Outcome
from yiyang.visits.care_schemas import ComplaintAssign, ComplaintClose, ComplaintRespond
from yiyang.visits.policy import policy_from
from yiyang.visits.wording import CATEGORY_WORDS, OUTCOME_WORDS, STATUS_WORDS, STEP_WORDS
from yiyang.web.deps import DbSession, FormBody, Locale, PageSubject, get_locale
from yiyang.web.forms import FormRefusal, optional, problems_by_field, submit_form
from yiyang.web.i18n import translate
from yiyang.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])
STATUSES = ("open", "assigned", "responded", "closed", "all")


def words(locale: str) -> dict[str, Any]:
    """Label functions of the complaint templates."""

    def lab(table: dict[str, str]) -> Any:
        return lambda code: translate(locale, table[code]) if code in table else (code or "")

    return {
        "complaint_status": lab(STATUS_WORDS),
        "complaint_step": lab(STEP_WORDS),
        "complaint_outcome": lab(OUTCOME_WORDS),
        "complaint_category": lab(CATEGORY_WORDS),
    }


@router.get("/complaints", response_class=HTMLResponse)
def complaint_list(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale
) -> HTMLResponse:
    """Complaints in scope: open ones by default, oldest first; by status, kind, provider."""
    subject.require(Perm.COMPLAINT_READ)
    q = request.query_params
    status = q.get("status") if q.get("status") in STATUSES else "open"
    category = q.get("category") if q.get("category") in CATEGORY_WORDS else None
    providers = provider_choices(db, subject)
    provider_id = next((p.id for p in providers if str(p.id) == q.get("provider_id")), None)
    rows = complaints.listing(
        db, subject, status=status, category=category, provider_id=provider_id
    )
    return render(
        request,
        "complaints/list.html",
        {
            "rows": rows,
            "values": {"status": status, "category": category or "", "provider_id": provider_id},
            "statuses": STATUSES,
            "categories": list(CATEGORY_WORDS),
            "providers": providers,
            "now": request.app.state.clock(),
            **helpers(locale),
            **words(locale),
        },
    )


def _detail(
    request: Request,
    db: DbSession,
    subject: Subject,
    locale: str,
    complaint_id: int,
    *,
    refusal: FormRefusal | None = None,
) -> HTMLResponse:
    found = complaints.read(db, subject, complaint_id)
    order = repository.get_order(db, subject, found.order_id)
    response = render(
        request,
        "complaints/view.html",
        {
            "c": found,
            "order": order,
            "outcomes": list(Outcome),
            "message": refusal.message if refusal else None,
            "errors": problems_by_field(locale, refusal.problems) if refusal else {},
            "may_handle": subject.can(Perm.COMPLAINT_HANDLE),
            "may_respond": subject.can(Perm.COMPLAINT_RESPOND),
            **helpers(locale),
            **words(locale),
        },
    )
    if refusal:
        response.status_code = refusal.status_code
    return response


@router.get("/complaints/{complaint_id}", response_class=HTMLResponse)
def complaint_view(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale, complaint_id: RowId
) -> HTMLResponse:
    """One complaint: what was said, every step, and the next steps the reader may take."""
    return _detail(request, db, subject, locale, complaint_id)


STEPS: dict[str, tuple[type[BaseModel], Any]] = {
    "assign": (ComplaintAssign, complaints.assign),
    "respond": (ComplaintRespond, complaints.respond),
    "close": (ComplaintClose, complaints.close),
}


def _payload(form: FormData, step: str, subject: Subject) -> dict[str, Any]:
    """The posted form as the step's schema reads it (the assignee as provider or person)."""
    if step != "assign":
        return {"outcome": optional(form, "outcome") or "", "text": optional(form, "text") or ""}
    to = optional(form, "to") or ""
    payload: dict[str, Any] = {"note": optional(form, "note")}
    if to == "me":
        payload["user_id"] = subject.user_id
    elif to.startswith("provider:"):
        payload["provider_id"] = to.removeprefix("provider:")
    return payload


@router.post("/complaints/{complaint_id}/{step}", response_model=None)
def take_step(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    form: FormBody,
    locale: Locale,
    complaint_id: RowId,
    step: Literal["assign", "respond", "close"],
) -> Response:
    """Assign, answer or close; the same page again with the problem when it does not fit."""
    schema, action = STEPS[step]
    payload = _payload(form, step, subject)
    if step == "respond":
        payload.pop("outcome")
    now = request.app.state.clock()
    # Closing ends the complaint's dispute of the visit's payment: its verdict is judged again.
    extra: dict[str, Any] = (
        {"policy": policy_from(request.app.state.settings)} if step == "close" else {}
    )
    result = submit_form(
        db, locale, schema, payload,
        lambda data: action(db, subject, complaint_id, data, now=now, **extra),
    )  # fmt: skip
    if isinstance(result, FormRefusal):
        return _detail(request, db, subject, locale, complaint_id, refusal=result)
    return RedirectResponse(f"/complaints/{complaint_id}", status_code=303)
