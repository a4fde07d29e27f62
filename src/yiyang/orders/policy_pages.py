"""HTML pages of subsidy policies: the list, one policy's versions, a new version, retire."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from yiyang.errors import N_
from yiyang.kit.localtime import local_today
from yiyang.orders import policies
from yiyang.orders.policy_schemas import PolicyCreate, PolicyRetire, PolicyVersionIn
from yiyang.orders.subsidy_words import policy_name
from yiyang.registry.vocab import EconomicStatus, LivingSituation, SpecialGroup
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject
from yiyang.web.deps import DbSession, FormBody, Locale, PageSubject, get_locale
from yiyang.web.forms import FormRefusal, optional, problems_by_field, submit_form, text
from yiyang.web.templating import register_labels, render

router = APIRouter(prefix="/policies", include_in_schema=False, dependencies=[Depends(get_locale)])

CLAUSES = 4  # rows of eligibility clauses on the form
STATE_LABELS = {
    "in_force": N_("In force"),
    "planned": N_("Planned"),
    "retired": N_("Retired"),
}
register_labels({f"policy_{k}": v for k, v in STATE_LABELS.items()})
NUMBERS = (
    "share_percent", "per_order_cap_yuan", "monthly_quota_yuan", "monthly_quota_count",
    "weekly_quota_count", "priority",
)  # fmt: skip


def _today(request: Request) -> Any:
    return local_today(request.app.state.clock())


@router.get("", response_class=HTMLResponse)
def policy_list(request: Request, db: DbSession, subject: PageSubject) -> HTMLResponse:
    """Every policy with the version in force today."""
    rows = policies.list_policies(db, subject, _today(request))
    return render(request, "policies/list.html", {"policies": rows, "policy_name": _name(request)})


def _name(request: Request) -> Any:
    locale = request.state.locale
    return lambda v: policy_name(locale, v.name, v.name_en)


@router.get("/new", response_class=HTMLResponse)
def new_form(request: Request, subject: PageSubject) -> HTMLResponse:
    """The form of a policy new to the district."""
    subject.require(Perm.POLICY_WRITE)
    values = {"share_percent": 100, "priority": 0, "effective_date": str(_today(request))}
    return _form(request, subject, values, code=None)


@router.post("/new", response_model=None)
def create(
    request: Request, db: DbSession, subject: PageSubject, form: FormBody, locale: Locale
) -> Response:
    """Add a policy (its version 1), or show the form again with each problem by its field."""
    subject.require(Perm.POLICY_WRITE)
    payload = _payload(form) | {"code": text(form, "code")}
    now = request.app.state.clock()
    result = submit_form(
        db, locale, PolicyCreate, payload,
        lambda data: policies.create_policy(db, subject, data, today=_today(request), now=now),
    )  # fmt: skip
    if isinstance(result, FormRefusal):
        return _failed(request, subject, locale, form, result, code=None)
    return RedirectResponse(f"/policies/{result.code}?saved=1", status_code=303)


@router.get("/{code}", response_class=HTMLResponse)
def view(request: Request, db: DbSession, subject: PageSubject, code: str) -> HTMLResponse:
    """One policy: what it covers, and every version with its dates."""
    return _view(request, db, subject, code, {"saved": request.query_params.get("saved")})


def _view(
    request: Request, db: DbSession, subject: Subject, code: str, extra: dict[str, Any]
) -> HTMLResponse:
    summary, versions = policies.read_policy(db, subject, code, _today(request))
    context = {
        "summary": summary,
        "versions": list(reversed(versions)),
        "policy_name": _name(request),
        "today": _today(request),
        "errors": {},
    }
    return render(request, "policies/view.html", context | extra)


@router.get("/{code}/new-version", response_class=HTMLResponse)
def version_form(request: Request, db: DbSession, subject: PageSubject, code: str) -> HTMLResponse:
    """The form of a new version, filled from the latest one."""
    subject.require(Perm.POLICY_WRITE)
    summary, _versions = policies.read_policy(db, subject, code, _today(request))
    latest = summary.latest
    values: dict[str, Any] = latest.model_dump(mode="json")
    values["effective_date"] = ""
    for key in ("per_order_cap", "monthly_quota"):
        fen = values.pop(f"{key}_fen")
        values[f"{key}_yuan"] = "" if fen is None else f"{fen / 100:g}"
    values["item_codes"] = ", ".join(latest.item_codes)
    for i, clause in enumerate(latest.eligibility[:CLAUSES]):
        for k, v in clause.items():
            values[f"c{i}_{k}"] = v
    return _form(request, subject, values, code=code)


@router.post("/{code}/new-version", response_model=None)
def add_version(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    form: FormBody,
    locale: Locale,
    code: str,
) -> Response:
    """Save a new version from its effective date; earlier versions stay as they were."""
    subject.require(Perm.POLICY_WRITE)
    now = request.app.state.clock()
    result = submit_form(
        db, locale, PolicyVersionIn, _payload(form),
        lambda data: policies.add_version(db, subject, code, data, today=_today(request), now=now),
    )  # fmt: skip
    if isinstance(result, FormRefusal):
        return _failed(request, subject, locale, form, result, code=code)
    return RedirectResponse(f"/policies/{code}?saved=1", status_code=303)


@router.post("/{code}/retire", response_model=None)
def retire(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    form: FormBody,
    locale: Locale,
    code: str,
) -> Response:
    """End the policy from a date (a retired version; orders before it keep their subsidy)."""
    subject.require(Perm.POLICY_WRITE)
    now = request.app.state.clock()
    result = submit_form(
        db, locale, PolicyRetire, {"effective_date": optional(form, "effective_date")},
        lambda data: policies.retire(db, subject, code, data, today=_today(request), now=now),
    )  # fmt: skip
    if isinstance(result, FormRefusal):
        errors = problems_by_field(locale, result.problems)
        response = _view(
            request, db, subject, code, {"retire_message": result.message, "errors": errors}
        )
        response.status_code = result.status_code
        return response
    return RedirectResponse(f"/policies/{code}?saved=1", status_code=303)


def _payload(form: FormData) -> dict[str, Any]:
    """The posted form as the schema reads it (blank numbers are absent)."""
    payload: dict[str, Any] = {
        "name": text(form, "name"),
        "name_en": text(form, "name_en"),
        "effective_date": optional(form, "effective_date"),
        "notes": optional(form, "notes"),
        "item_codes": [c.strip() for c in text(form, "item_codes").split(",") if c.strip()],
    }
    for name in NUMBERS:
        if (value := optional(form, name)) is not None:
            payload[name] = value
    clauses = []
    for i in range(CLAUSES):
        clause: dict[str, Any] = {
            key: form.getlist(f"c{i}_{key}")
            for key in ("special_groups", "economic_statuses", "living_situations")
        }
        for key in ("min_age", "min_capability_level"):
            if (value := optional(form, f"c{i}_{key}")) is not None:
                clause[key] = value
        if any(clause.values()):
            clauses.append(clause)
    payload["eligibility"] = clauses
    return payload


def _form(
    request: Request,
    subject: Subject,
    values: dict[str, Any],
    *,
    code: str | None,
    errors: dict[str, list[str]] | None = None,
    message: str | None = None,
) -> HTMLResponse:
    return render(
        request,
        "policies/form.html",
        {
            "values": values,
            "code": code,
            "errors": errors or {},
            "message": message,
            "clauses": range(CLAUSES),
            "groups": list(SpecialGroup),
            "statuses": [s for s in EconomicStatus if s != EconomicStatus.NONE],
            "situations": list(LivingSituation),
        },
    )


def _failed(
    request: Request,
    subject: Subject,
    locale: str,
    form: FormData,
    result: FormRefusal,
    *,
    code: str | None,
) -> HTMLResponse:
    values: dict[str, Any] = {k: form.get(k) for k in form}
    for i in range(CLAUSES):
        for key in ("special_groups", "economic_statuses", "living_situations"):
            values[f"c{i}_{key}"] = form.getlist(f"c{i}_{key}")
    errors = problems_by_field(locale, result.problems)
    response = _form(request, subject, values, code=code, errors=errors, message=result.message)
    response.status_code = result.status_code
    return response
