"""Pages of settlement runs: the list with totals, a run with its lines, actions, workbook."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from yiyang.errors import N_
from yiyang.kit.pagination import PageParams
from yiyang.kit.types import RowId, parse_row_id
from yiyang.orders.page_helpers import helpers
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject
from yiyang.visits.payment import jobs as payment_jobs
from yiyang.visits.payment import repository, settlements, workbook
from yiyang.visits.payment.assessing import month_of
from yiyang.visits.payment.pages import months_back
from yiyang.visits.payment.rules import REASON_LABELS, RUN_MOVES, yuan
from yiyang.visits.payment.schemas import RunCreate
from yiyang.visits.policy import policy_from
from yiyang.web.deps import DbSession, FormBody, Locale, PageSubject, get_locale
from yiyang.web.forms import page_number, problems_by_field, refused
from yiyang.web.i18n import translate
from yiyang.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])
PAGE_SIZE = 50
ACTION_LABELS: dict[str, str] = {
    "recompute": N_("Recompute"),
    "review": N_("Mark reviewed"),
    "reopen": N_("Back to draft"),
    "close": N_("Close the month"),
}


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock()
    return now


def _context(locale: str, **values: object) -> dict[str, object]:
    return (
        helpers(locale)
        | {
            "yuan": yuan,
            "run_status_labels": workbook.STATUS_LABELS,
            "kind_labels": workbook.KIND_LABELS,
            "action_labels": ACTION_LABELS,
            "reason_label": lambda code: translate(locale, REASON_LABELS.get(code) or code),
        }
        | values
    )


def _list(
    request: Request, db: Session, subject: Subject, locale: str, *,
    errors: dict[str, list[str]] | None = None, message: str | None = None, status_code: int = 200,
) -> HTMLResponse:  # fmt: skip
    month = request.query_params.get("month") or ""
    provider_id = parse_row_id(request.query_params.get("provider_id") or "")
    valid_month = month if month in months_back(_now(request), 36) else None
    found = settlements.list_runs(
        db, subject, valid_month, provider_id, PageParams(page=page_number(request), size=PAGE_SIZE)
    )
    values = {k: str(v) for k, v in (("month", valid_month), ("provider_id", provider_id)) if v}
    context = _context(
        locale, page=found, runs=found.items, months=months_back(_now(request)),
        month=valid_month or "",
        pager_url=lambda n: "/settlements?" + urlencode(values | {"page": str(n)}),
        this_month=month_of(_now(request)), providers=repository.providers(db, subject),
        provider_id=provider_id, can_write=subject.can(Perm.SETTLEMENT_WRITE),
        errors=errors or {}, message=message, sums=found.sums,
    )  # fmt: skip
    if request.headers.get("hx-target") == "results":  # the pager: its URL kept
        number = found.page
        here = urlencode(values | ({"page": str(number)} if number > 1 else {}))
        headers = {"HX-Push-Url": "/settlements" + (f"?{here}" if here else "")}
        return render(request, "payment/_runs.html", context, headers=headers)
    return render(request, "payment/settlements.html", context, status_code=status_code)


@router.get("/settlements", response_class=HTMLResponse)
def run_list(request: Request, db: DbSession, subject: PageSubject, locale: Locale) -> HTMLResponse:
    """Settlement runs in scope with their totals, and (district admin) a form to prepare one."""
    return _list(request, db, subject, locale)


@router.post("/settlements", response_model=None)
def create(
    request: Request, db: DbSession, subject: PageSubject, form: FormBody, locale: Locale
) -> Response:
    """Prepare the month's drafts (one provider, or all); then the list of that month."""
    month = str(form.get("month") or "")
    provider = str(form.get("provider_id") or "") or None
    policy = policy_from(request.app.state.settings)
    made: list[str] = []

    def act() -> None:
        data = RunCreate.model_validate({"month": month, "provider_id": provider})
        if data.provider_id is None:  # every provider: a job, followed under My jobs
            job = payment_jobs.submit_prepare(db, subject, data, now=_now(request), locale=locale)
            made.append(f"/jobs/{job.id}")
            return
        runs = settlements.create_runs(db, subject, data, now=_now(request), policy=policy)
        made.extend(f"/settlements/{r.id}" for r in runs)

    failure = refused(locale, act)
    if failure is None:
        return RedirectResponse(made[0] if made else "/settlements", status_code=303)
    problems, status, message = failure
    db.rollback()
    errors = problems_by_field(locale, problems)
    return _list(request, db, subject, locale, errors=errors, message=message, status_code=status)


def _run(
    request: Request, db: Session, subject: Subject, locale: str, run_id: int, *,
    message: str | None = None, status_code: int = 200,
) -> HTMLResponse:  # fmt: skip
    run = settlements.read_run(db, subject, run_id)
    allowed = [a for (s, a) in RUN_MOVES if s == run.status] if subject.can(
        Perm.SETTLEMENT_WRITE
    ) else []  # fmt: skip
    context = _context(
        locale, run=run, actions=allowed, message=message,
        paid=[ln for ln in run.lines if ln.kind == "visit"],
        adjustments=[ln for ln in run.lines if ln.kind == "adjustment"],
        excluded=[ln for ln in run.lines if ln.kind == "excluded"],
    )  # fmt: skip
    return render(request, "payment/run.html", context, status_code=status_code)


@router.get("/settlements/{run_id}", response_class=HTMLResponse)
def run_page(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale, run_id: RowId
) -> HTMLResponse:
    """One run: totals, paid lines, adjustments, excluded exceptions with reasons, actions."""
    return _run(request, db, subject, locale, run_id)


@router.get("/settlements/{run_id}/workbook.xlsx")
def run_workbook(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale, run_id: RowId
) -> Response:
    """The run's workbook in the reader's language."""
    return workbook.run_response(db, subject, run_id, locale=locale, now=_now(request))


@router.post("/settlements/{run_id}/act", response_model=None)
def run_action(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    form: FormBody,
    locale: Locale,
    run_id: RowId,
) -> Response:
    """Recompute, review, reopen or close; a refusal shows the run with the reason."""
    action = str(form.get("action") or "")
    policy = policy_from(request.app.state.settings)
    failure = refused(
        locale,
        lambda: settlements.act(db, subject, run_id, action, now=_now(request), policy=policy),
    )
    if failure is None:
        return RedirectResponse(f"/settlements/{run_id}", status_code=303)
    _, status, message = failure
    db.rollback()
    return _run(request, db, subject, locale, run_id, message=message, status_code=status)
