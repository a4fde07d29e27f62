"""Pages of payment: the exceptions queue (/exceptions) with its review forms."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from yiyang.errors import N_
from yiyang.kit.pagination import PageParams
from yiyang.kit.types import RowId, parse_page
from yiyang.orders.page_helpers import helpers
from yiyang.security.roles import Perm
from yiyang.security.scope import Binding
from yiyang.security.subject import Subject
from yiyang.visits.payment import assessing, exceptions, repository
from yiyang.visits.payment.rules import REASON_LABELS, Reason, yuan
from yiyang.visits.payment.schemas import ExceptionFilter, ReviewIn
from yiyang.visits.policy import policy_from
from yiyang.web.deps import DbSession, FormBody, Locale, PageSubject, get_locale
from yiyang.web.forms import problems_by_field, refused, same_page
from yiyang.web.i18n import translate
from yiyang.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])

FILTER_KEYS = ("month", "provider_id", "reason", "state")
PAGE_SIZE = 50
STATE_LABELS: dict[str, str] = {
    "open": N_("To review"),
    "asked": N_("Asked the provider"),
    "rejected": N_("Rejected"),
    "approved": N_("Approved"),
    "all": N_("All"),
}
DECISION_LABELS: dict[str, str] = {
    "approve": N_("Approve payment"),
    "reject": N_("Reject payment"),
    "ask": N_("Ask the provider"),
    "answer": N_("Provider's explanation"),
}
QUEUE_REASONS = tuple(r for r in Reason if r not in (Reason.REJECTED, Reason.ASKED_PROVIDER))


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock()
    return now


def months_back(now: datetime, count: int = 12) -> list[str]:
    """This month and the `count - 1` before it, newest first."""
    return assessing.recent_months(now, count)[::-1]


def filter_from(
    params: Mapping[str, str], provider: bool
) -> tuple[ExceptionFilter, dict[str, str]]:
    """Filters from a query string; a value the schema refuses is dropped, never a 422."""
    values: dict[str, str] = {}
    for key in FILTER_KEYS:
        raw = (params.get(key) or "").strip()
        if not raw:
            continue
        try:
            ExceptionFilter.model_validate({key: raw})
        except ValidationError:
            continue
        values[key] = raw
    if "state" not in values and provider:
        values["state"] = "asked"
    return ExceptionFilter.model_validate(values), values


def _screen(
    request: Request,
    db: Session,
    subject: Subject,
    locale: str,
    params: Mapping[str, str],
    *,
    errors: dict[str, list[str]] | None = None,
    message: str | None = None,
    failed: int | None = None,
    typed: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    now = _now(request)
    provider = subject.scope.binding is Binding.PROVIDER
    flt, values = filter_from(params, provider)
    number = parse_page(params.get("page"))
    found = exceptions.list_exceptions(
        db, subject, flt, PageParams(page=number, size=PAGE_SIZE), now=now, locale=locale
    )
    here = values | ({"page": str(number)} if number > 1 else {})
    query = urlencode(here)
    context = helpers(locale) | {
        "page": found,
        "items": found.items,
        "values": values,
        "pager_url": lambda n: "/exceptions?" + urlencode(values | {"page": str(n)}),
        "month": flt.month or "",
        "months": months_back(now),
        "providers": [] if provider else repository.providers(db, subject),
        "reasons": [(r.value, translate(locale, REASON_LABELS[r])) for r in QUEUE_REASONS],
        "state_labels": STATE_LABELS,
        "decision_labels": DECISION_LABELS,
        "here": "/exceptions" + (f"?{query}" if query else ""),
        "can_review": subject.can(Perm.VISIT_REVIEW) and not provider,
        "can_answer": subject.can(Perm.VISIT_EXPLAIN) and provider,
        "total_fen": found.total_fen,
        "yuan": yuan,
        "errors": errors or {},
        "message": message,
        "failed": failed,
        "typed": typed,
    }
    if request.headers.get("hx-target") == "results":  # a filter or the pager: URL kept
        return render(
            request, "payment/_exceptions.html", context, headers={"HX-Push-Url": context["here"]}
        )
    return render(request, "payment/exceptions.html", context, status_code=status_code)


@router.get("/exceptions", response_class=HTMLResponse)
def exception_screen(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale
) -> HTMLResponse:
    """Unpayable delivered visits of a month with their reasons, filters and review forms."""
    return _screen(request, db, subject, locale, request.query_params)


@router.post("/exceptions/{order_id}/review", response_model=None)
def review(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    form: FormBody,
    locale: Locale,
    order_id: RowId,
) -> Response:
    """Record a decision or the provider's answer; a refusal shows the queue, text kept."""
    back = same_page(str(form.get("next") or ""), "/exceptions")
    typed = str(form.get("reason") or "")
    policy = policy_from(request.app.state.settings)

    def act() -> None:
        data = ReviewIn(decision=str(form.get("decision") or ""), reason=typed)
        exceptions.review(
            db, subject, order_id, data, now=_now(request), policy=policy, locale=locale
        )

    failure = refused(locale, act)
    if failure is None:
        return RedirectResponse(back, status_code=303)
    problems, status, message = failure
    db.rollback()
    return _screen(
        request, db, subject, locale, dict(parse_qsl(urlsplit(back).query)),
        errors=problems_by_field(locale, problems), message=message, failed=order_id,
        typed=typed, status_code=status,
    )  # fmt: skip
