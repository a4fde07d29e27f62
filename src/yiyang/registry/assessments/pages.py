"""HTML pages of capability assessments: the form, one assessment, an elder's history."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from yiyang.errors import N_, DomainError, FieldProblem, Invalid
from yiyang.kit.types import RowId
from yiyang.registry.assessments import rules
from yiyang.registry.assessments import service as assessment_service
from yiyang.registry.assessments.service import AssessmentIn
from yiyang.registry.elders import repository as elder_repository
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject
from yiyang.web.deps import DbSession, FormBody, Locale, PageSubject, get_locale
from yiyang.web.forms import form_values, problems_by_field, text
from yiyang.web.i18n import translate
from yiyang.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])

PARTS = [(part.value, [i for i in rules.ITEMS if i.part == part]) for part in rules.Part]


def words() -> dict[str, Any]:
    """What the assessment templates need to name items, points, levels and adjustments."""
    return {
        "parts": PARTS,
        "part_labels": rules.PART_LABELS,
        "scales": rules.SCALES,
        "level_labels": rules.LEVEL_LABELS,
        "adjustment_labels": rules.ADJUSTMENT_LABELS,
        "risk_labels": rules.RISK_LABELS,
        "by_code": rules.BY_CODE,
        "max_total": rules.MAX_TOTAL,
    }


def _entered(form: FormData) -> AssessmentIn:
    """The posted assessment; every bad score and count is reported at once (Invalid)."""
    problems: list[FieldProblem] = []
    counts: dict[str, int] = {}
    for code in rules.RISK_LABELS:
        raw = text(form, f"risk_{code}")
        if raw and not (raw.isascii() and raw.isdigit()):
            problems.append(
                FieldProblem(f"risk_{code}", "int_parsing", N_("Enter a whole number."), {})
            )
        elif raw:
            counts[code] = int(raw)
    scores = {item.code: text(form, item.code) for item in rules.ITEMS}
    first: Invalid | None = None
    try:
        rules.checked_scores(scores)
    except Invalid as exc:
        first, problems = exc, exc.problems + problems
    if problems:
        if first is None:
            raise Invalid(N_("Please correct the fields marked below."), problems=problems)
        raise Invalid(first.message, field=first.field, problems=problems, **first.params)
    return AssessmentIn(
        scores=scores,
        coma=bool(text(form, "coma")),
        mental_disorder=bool(text(form, "mental_disorder")),
        risk_events=counts,
        note=text(form, "note") or None,
    )


def _headline(locale: str, exc: DomainError) -> str:
    """The error's message with an item's label translated (rules name items in English)."""
    params = dict(exc.params)
    if "item" in params:
        params["item"] = translate(locale, str(params["item"]))
    return translate(locale, exc.message, params)


def _form_page(
    request: Request,
    db: DbSession,
    subject: Subject,
    elder_id: int,
    *,
    values: dict[str, Any],
    errors: dict[str, list[str]] | None = None,
    message: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    elder = elder_repository.get(db, subject, elder_id)
    history = assessment_service.history(db, subject, elder_id)
    context = words() | {
        "elder": elder,
        "last": history[0] if history else None,
        "values": values,
        "errors": errors or {},
        "message": message,
    }
    return render(request, "assessments/form.html", context, status_code=status_code)


@router.get("/elders/{elder_id}/assess", response_class=HTMLResponse)
def assess_form(
    request: Request, db: DbSession, subject: PageSubject, elder_id: RowId
) -> HTMLResponse:
    """The 26 items in their four parts, each a choice of its allowed points in words."""
    subject.require(Perm.ASSESSMENT_WRITE)
    return _form_page(request, db, subject, elder_id, values={})


@router.post("/elders/{elder_id}/assess", response_model=None)
def assess(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    form: FormBody,
    locale: Locale,
    elder_id: RowId,
) -> Response:
    """Record the assessment; a missing or bad score comes back next to its item (422)."""
    subject.require(Perm.ASSESSMENT_WRITE)
    try:
        with db.begin_nested():
            row = assessment_service.record(
                db, subject, elder_id, _entered(form), now=request.app.state.clock()
            )
    except DomainError as exc:
        if exc.status_code in (403, 404):
            raise
        problems = exc.problems or [FieldProblem("request", exc.code, exc.message, exc.params)]
        return _form_page(
            request, db, subject, elder_id, values=form_values(form),
            errors=problems_by_field(locale, problems), message=_headline(locale, exc),
            status_code=exc.status_code,
        )  # fmt: skip
    return RedirectResponse(f"/assessments/{row.id}?saved=1", status_code=303)


@router.get("/assessments/{assessment_id}", response_class=HTMLResponse)
def view(
    request: Request, db: DbSession, subject: PageSubject, assessment_id: RowId
) -> HTMLResponse:
    """One assessment: level and why, the total and each part, every item's score in words."""
    row = assessment_service.get(db, subject, assessment_id, now=request.app.state.clock())
    parts = {part: 0 for part, _ in PARTS}
    for code, points in row.scores.items():
        if code in rules.BY_CODE:
            parts[rules.BY_CODE[code].part] += int(points)
    context = words() | {"a": row, "elder": row.elder, "part_totals": parts}
    return render(request, "assessments/view.html", context)


@router.get("/elders/{elder_id}/assessments", response_class=HTMLResponse)
def history(request: Request, db: DbSession, subject: PageSubject, elder_id: RowId) -> HTMLResponse:
    """The elder's assessments, newest first (the card on the elder's page)."""
    subject.require(Perm.ASSESSMENT_READ)
    elder = elder_repository.get(db, subject, elder_id)
    rows = assessment_service.history(db, subject, elder_id)
    context = words() | {
        "elder": elder,
        "rows": rows,
        "may_assess": subject.can(Perm.ASSESSMENT_WRITE),
    }
    return render(request, "assessments/_history.html", context)
