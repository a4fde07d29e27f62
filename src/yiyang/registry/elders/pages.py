"""HTML pages for elders: searchable list, full record, create and edit forms."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from yiyang.errors import FieldProblem, TooManyRequests
from yiyang.kit.localtime import local_text, local_today
from yiyang.kit.pagination import PageParams
from yiyang.kit.types import RowId, bad_character, parse_page
from yiyang.registry.areas import service as areas_service
from yiyang.registry.elders import away as away_service
from yiyang.registry.elders import repository as elder_repository
from yiyang.registry.elders import rules as elder_rules
from yiyang.registry.elders import service as elder_service
from yiyang.registry.elders.schemas import (
    AwayIn,
    ElderCreate,
    ElderFilter,
    ElderRead,
    ElderUpdate,
)
from yiyang.registry.vocab import (
    AwayReason,
    EconomicStatus,
    ElderStatus,
    LivingSituation,
    Mobility,
    SpecialGroup,
)
from yiyang.security.roles import Perm, Role
from yiyang.security.subject import Subject
from yiyang.web.deps import DbSession, FormBody, Locale, PageSubject, get_locale
from yiyang.web.forms import (
    REFUSED_FILTER,
    FormRefusal,
    error_message,
    optional,
    problems_by_field,
    put_required,
    refused_filters,
    submit_form,
    text,
)
from yiyang.web.i18n import translate
from yiyang.web.templating import render

router = APIRouter(prefix="/elders", include_in_schema=False, dependencies=[Depends(get_locale)])

AGE_BANDS: dict[str, tuple[int, int | None]] = {
    "60-69": (60, 69),
    "70-79": (70, 79),
    "80-89": (80, 89),
    "90+": (90, None),
}
FILTER_KEYS = (
    "q", "street_code", "community_code", "living_situation", "special_group",
    "economic_status", "status", "age", "sort",
)  # fmt: skip
SORTS = ("community",)  # besides the default (registration order)
VOCAB_KEYS = ("living_situation", "special_group", "economic_status", "status")
MAX_CONTACTS = 5
PAGE_SIZE = 20


def _vocab(value: str | None, allowed: type[Any]) -> str | None:
    """A filter value if it is one of the vocabulary's codes, else None (pages never 422)."""
    return value if value in {str(v) for v in allowed} else None


def filter_from(request: Request) -> tuple[ElderFilter, dict[str, str]]:
    """The list filter from the query string, and the clean values to show in the form."""
    qp = request.query_params
    raw = {k: (qp.get(k) or "").strip() for k in FILTER_KEYS}
    # A value with control characters (NUL, escapes) is no choice: left out with the message.
    raw = {k: "" if bad_character(v) is not None else v for k, v in raw.items()}
    band = AGE_BANDS.get(raw["age"])
    flt = ElderFilter(
        q=raw["q"][:64] or None,
        street_code=raw["street_code"] or None,
        community_code=raw["community_code"] or None,
        living_situation=_vocab(raw["living_situation"], LivingSituation),
        special_group=_vocab(raw["special_group"], SpecialGroup),
        economic_status=_vocab(raw["economic_status"], EconomicStatus),
        status=_vocab(raw["status"], ElderStatus),
        age_min=band[0] if band else None,
        age_max=band[1] if band else None,
        sort="community" if raw["sort"] in SORTS else None,
    )
    if not band:
        raw["age"] = ""
    if raw["sort"] not in SORTS:
        raw["sort"] = ""
    for key in VOCAB_KEYS:
        if getattr(flt, key) is None:
            raw[key] = ""
    return flt, {k: v for k, v in raw.items() if v}


def _page_number(request: Request) -> int:
    return parse_page(request.query_params.get("page"))


@router.get("", response_class=HTMLResponse)
def elder_list(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale
) -> HTMLResponse:
    """The elder list; htmx reloads only the results when a filter changes."""
    flt, values = filter_from(request)
    if dropped := areas_service.drop_unknown_areas(db, values):
        flt = flt.model_copy(update=dict.fromkeys(dropped))
    refused = refused_filters(request, FILTER_KEYS, values)
    page_params = PageParams(page=_page_number(request), size=PAGE_SIZE)
    state = request.app.state
    live = request.headers.get("hx-target") == "results"
    try:
        page = elder_service.list_elders(
            db,
            subject,
            flt,
            page_params,
            now=state.clock(),
            id_lookup_limit=state.settings.elder_id_lookups_per_hour,
        )
    except TooManyRequests as exc:
        if not live:
            raise
        # htmx swaps no error response: the live search says why in place of the results.
        return render(request, "elders/_refused.html", {"message": error_message(locale, exc)})
    query = urlencode(values | ({"page": str(page.page)} if page.page > 1 else {}))
    clean_url = "/elders" + (f"?{query}" if query else "")
    context = {
        "page": page,
        "message": translate(locale, REFUSED_FILTER) if refused else None,
        "values": values,
        "query": urlencode(values),
        "choices": areas_service.area_choices(db, subject),
        "age_bands": list(AGE_BANDS),
        "vocab": _vocab_lists(),
        "pager_url": lambda n: "/elders?" + urlencode(values | {"page": str(n)}),
    }
    if live:
        return render(request, "elders/_results.html", context, headers={"HX-Push-Url": clean_url})
    return render(request, "elders/list.html", context)


def _vocab_lists() -> dict[str, list[str]]:
    return {
        "living": [str(v) for v in LivingSituation],
        "groups": [str(v) for v in SpecialGroup],
        "economic": [str(v) for v in EconomicStatus],
        "status": [str(v) for v in ElderStatus],
        "mobility": [str(v) for v in Mobility],
        "away_reasons": [str(v) for v in AwayReason],
    }


def _blank_values() -> dict[str, Any]:
    return {
        "living_situation": "alone",
        "economic_status": "none",
        "geofence_m": "150",
        "special_groups": [],
        "contacts": [{} for _ in range(2)],
    }


def _values_from_record(elder: ElderRead) -> dict[str, Any]:
    values: dict[str, Any] = elder.model_dump(mode="json")
    values["community_code"] = elder.community.code
    values["contacts"] = [c.model_dump() for c in elder.contacts]
    return values


def _values_from_form(form: FormData) -> dict[str, Any]:
    """What the user typed, to show again next to the problems."""
    values: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
    values["special_groups"] = [g for g in form.getlist("special_groups") if isinstance(g, str)]
    values["consent_given"] = form.get("consent_given") == "on"
    values["contacts"] = [
        {
            "name": text(form, f"contacts.{i}.name"),
            "relationship": text(form, f"contacts.{i}.relationship"),
            "phone": text(form, f"contacts.{i}.phone"),
            "has_key": form.get(f"contacts.{i}.has_key") == "on",
        }
        for i in range(MAX_CONTACTS)
        if any(text(form, f"contacts.{i}.{k}") for k in ("name", "relationship", "phone"))
    ]
    return values


def _payload(form: FormData, *, editing: bool) -> dict[str, Any]:
    """The schema input from a posted form: blanks left out, contacts gathered in order."""
    payload: dict[str, Any] = {}
    put_required(
        payload, form, "id_number", "name", "address", "community_code", "lat", "lon",
        "living_situation", "economic_status", "geofence_m",
    )  # fmt: skip
    for name in ("phone", "household_registration", "notes", "consent_date"):
        payload[name] = optional(form, name)
    if level := text(form, "capability_level"):
        payload["capability_level"] = level
    elif editing:
        payload["capability_level"] = None
    for name in ("mobility", "conditions"):  # only on the form of those who see them
        if name in form:
            payload[name] = optional(form, name)
    payload["special_groups"] = [g for g in form.getlist("special_groups") if isinstance(g, str)]
    payload["consent_given"] = form.get("consent_given") == "on"
    payload["contacts"] = [
        {
            "name": text(form, f"contacts.{i}.name"),
            "relationship": text(form, f"contacts.{i}.relationship"),
            "phone": text(form, f"contacts.{i}.phone"),
            "has_key": form.get(f"contacts.{i}.has_key") == "on",
        }
        for i in range(MAX_CONTACTS)
        if any(text(form, f"contacts.{i}.{k}") for k in ("name", "relationship", "phone"))
    ]
    if editing:
        for name in ("status", "version"):
            if value := text(form, name):
                payload[name] = value
        payload["status_date"] = optional(form, "status_date")
    return payload


def _rule_problems(form: FormData, request: Request) -> list[FieldProblem]:
    """The pure identity and phone checks, so a schema error does not hide them."""
    today = local_today(request.app.state.clock())
    problems: list[FieldProblem] = []
    if id_number := text(form, "id_number"):
        parsed = elder_rules.id_number_problem(id_number, today)
        if isinstance(parsed, FieldProblem):
            problems.append(parsed)
    bad = elder_rules.phone_problem(elder_rules.normalise_phone(optional(form, "phone")), "phone")
    if bad:
        problems.append(bad)
    return problems


def _form_page(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    *,
    values: dict[str, Any],
    elder: ElderRead | None = None,
    errors: dict[str, list[str]] | None = None,
    message: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    contacts = list(values.get("contacts") or [])
    contacts += [{} for _ in range(max(0, 3 - len(contacts)))]
    values["contacts"] = contacts[:MAX_CONTACTS]
    return render(
        request,
        "elders/form.html",
        {
            "values": values,
            "elder": elder,
            "assessed": elder is not None and elder_repository.assessed(db, elder.id),
            "errors": errors or {},
            "message": message,
            "choices": areas_service.area_choices(db, subject),
            "vocab": _vocab_lists(),
        },
        status_code=status_code,
    )


def _failed(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    locale: str,
    form: FormData,
    problems: list[FieldProblem],
    message: str,
    elder: ElderRead | None = None,
    status_code: int = 422,
) -> HTMLResponse:
    return _form_page(
        request,
        db,
        subject,
        values=_values_from_form(form),
        elder=elder,
        errors=problems_by_field(locale, problems),
        message=message,
        status_code=status_code,
    )


@router.get("/new", response_class=HTMLResponse)
def new_form(request: Request, db: DbSession, subject: PageSubject) -> HTMLResponse:
    """An empty registration form."""
    subject.require(Perm.ELDER_WRITE)
    return _form_page(request, db, subject, values=_blank_values())


@router.post("/new", response_model=None)
def create(
    request: Request, db: DbSession, subject: PageSubject, form: FormBody, locale: Locale
) -> Response:
    """Register an elder; on problems the form comes back with each one next to its field."""
    subject.require(Perm.ELDER_WRITE)
    result = submit_form(
        db, locale, ElderCreate, _payload(form, editing=False),
        lambda data: elder_service.create_elder(
            db, subject, data, now=request.app.state.clock(),
            district_code=request.app.state.settings.district_code,
        ),
        more_problems=lambda: _rule_problems(form, request),
    )  # fmt: skip
    if isinstance(result, FormRefusal):
        return _failed(
            request, db, subject, locale, form, result.problems, result.message,
            status_code=result.status_code,
        )  # fmt: skip
    return RedirectResponse(f"/elders/{result.id}?saved=1", status_code=303)


@router.get("/{elder_id}", response_class=HTMLResponse)
def view(request: Request, db: DbSession, subject: PageSubject, elder_id: RowId) -> HTMLResponse:
    """An elder's full record (the service audits the read)."""
    elder = elder_service.read_elder(db, subject, elder_id, now=request.app.state.clock())
    return render(request, "elders/view.html", {"elder": elder})


@router.get("/{elder_id}/edit", response_class=HTMLResponse)
def edit_form(
    request: Request, db: DbSession, subject: PageSubject, elder_id: RowId
) -> HTMLResponse:
    """The edit form filled with the current record."""
    subject.require(Perm.ELDER_WRITE)
    elder = elder_service.read_elder(db, subject, elder_id, now=request.app.state.clock())
    return _form_page(request, db, subject, values=_values_from_record(elder), elder=elder)


@router.post("/{elder_id}/edit", response_model=None)
def update(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    form: FormBody,
    locale: Locale,
    elder_id: RowId,
) -> Response:
    """Save changes; problems come back next to their fields, nothing half-written."""
    subject.require(Perm.ELDER_WRITE)
    now = request.app.state.clock()
    current = elder_service.to_read(
        elder_repository.get(db, subject, elder_id), local_today(now), subject
    )
    result = submit_form(
        db, locale, ElderUpdate, _payload(form, editing=True),
        lambda data: elder_service.update_elder(
            db, subject, elder_id, data, now=now,
            district_code=request.app.state.settings.district_code,
        ),
        more_problems=lambda: _rule_problems(form, request),
    )  # fmt: skip
    if isinstance(result, FormRefusal):
        return _failed(
            request, db, subject, locale, form, result.problems, result.message,
            current, status_code=result.status_code,
        )  # fmt: skip
    return RedirectResponse(f"/elders/{elder_id}?saved=1", status_code=303)


def _back_from_away(subject: Subject, elder_id: int) -> str:
    """Where the away form returns: the family's phone home, else the elder's record."""
    return "/m/home" if subject.role in (Role.FAMILY, Role.ELDER) else f"/elders/{elder_id}"


def _away_page(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    elder_id: int,
    *,
    values: dict[str, Any],
    errors: dict[str, list[str]] | None = None,
    message: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    now = request.app.state.clock()
    elder = away_service.away_elder(db, subject, elder_id)
    return render(
        request,
        "elders/away.html",
        {
            "elder_id": elder.id,
            "elder_name": elder.name,
            "state": away_service.away_state(db, subject, elder, now=now),
            "values": values,
            "errors": errors or {},
            "message": message,
            "vocab": _vocab_lists(),
            "back": _back_from_away(subject, elder.id),
            "phone": subject.role in (Role.FAMILY, Role.ELDER),
        },
        status_code=status_code,
    )


@router.get("/{elder_id}/away", response_class=HTMLResponse)
def away_form(
    request: Request, db: DbSession, subject: PageSubject, elder_id: RowId
) -> HTMLResponse:
    """The form to mark an elder away from home until a time, with why (a stay already
    marked fills it, to change it)."""
    now = request.app.state.clock()
    state = away_service.away_state(
        db, subject, away_service.away_elder(db, subject, elder_id), now=now
    )
    values: dict[str, Any] = {"reason": "hospital"}
    if state.away is not None:
        values = {
            "until": local_text(state.away.until, "%Y-%m-%dT%H:%M"),
            "reason": state.away.reason or "other",
            "note": state.away.note or "",
        }
    return _away_page(request, db, subject, elder_id, values=values)


@router.post("/{elder_id}/away", response_model=None)
def mark_away(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    form: FormBody,
    locale: Locale,
    elder_id: RowId,
) -> Response:
    """Mark the elder away; a bad time comes back next to its field, nothing written."""
    payload = {
        "until": text(form, "until") or None,
        "reason": text(form, "reason") or None,
        "note": optional(form, "note"),
    }
    result = submit_form(
        db, locale, AwayIn, payload,
        lambda data: away_service.mark_away(
            db, subject, elder_id, data, now=request.app.state.clock()
        ),
    )  # fmt: skip
    if isinstance(result, FormRefusal):
        values = {k: text(form, k) for k in ("until", "reason", "note")}
        return _away_page(
            request, db, subject, elder_id, values=values,
            errors=problems_by_field(locale, result.problems), message=result.message,
            status_code=result.status_code,
        )  # fmt: skip
    return RedirectResponse(_back_from_away(subject, elder_id) + "?away=1", status_code=303)


@router.post("/{elder_id}/away/end", response_model=None)
def end_away(request: Request, db: DbSession, subject: PageSubject, elder_id: RowId) -> Response:
    """The elder is back home earlier than said."""
    away_service.end_away(db, subject, elder_id, now=request.app.state.clock())
    return RedirectResponse(_back_from_away(subject, elder_id) + "?back=1", status_code=303)
