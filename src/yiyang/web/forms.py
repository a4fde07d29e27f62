"""Helpers shared by the registry's HTML pages: form values, field problems, area selectors."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from yiyang.errors import N_, DomainError, FieldProblem
from yiyang.kit.types import parse_page
from yiyang.web.i18n import translate
from yiyang.web.templating import render

M = TypeVar("M", bound=BaseModel)

# Pydantic error types mapped to messages a person can act on (pydantic's own are English).
_PYDANTIC_MESSAGES: dict[str, str] = {
    "missing": N_("This field is required."),
    "string_too_short": N_("This field is required."),
    "string_too_long": N_("At most %(limit)s characters."),
    "float_parsing": N_("Enter a number."),
    "float_type": N_("Enter a number."),
    "int_parsing": N_("Enter a whole number."),
    "int_type": N_("Enter a whole number."),
    "int_from_float": N_("Enter a whole number."),
    "greater_than_equal": N_("Must be at least %(limit)s."),
    "less_than_equal": N_("Must be at most %(limit)s."),
    "enum": N_("Choose one of the options."),
    "literal_error": N_("Choose one of the options."),
    "date_parsing": N_("Enter a date as YYYY-MM-DD."),
    "date_from_datetime_parsing": N_("Enter a date as YYYY-MM-DD."),
    "too_long": N_("At most %(limit)s entries."),
    "bool_parsing": N_("Choose yes or no."),
    "control_character": N_("Remove the control characters (such as %(char)s) from this field."),
    "blank": N_("This field is required."),
    "year_range": N_("Enter a date between the years %(first)s and %(last)s."),
    "timezone_aware": N_("Enter a time with its time zone."),
}
_GENERIC = N_("This value is not valid.")


def validation_problems(exc: ValidationError) -> list[FieldProblem]:
    """Turn a pydantic ValidationError into translatable field problems."""
    problems = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        ctx = err.get("ctx") or {}
        limit = next((ctx[k] for k in ("max_length", "ge", "le", "min_length") if k in ctx), None)
        message = _PYDANTIC_MESSAGES.get(err["type"], _GENERIC)
        params = {"limit": limit} if "%(limit)s" in message else {}
        params |= {k: ctx[k] for k in ("char", "first", "last") if k in ctx}
        if err["type"] == "string_too_short" and (limit or 1) > 1:
            message, params = N_("Too short: at least %(min)s characters."), {"min": limit}
        problems.append(FieldProblem(where or "request", err["type"], message, params))
    return problems


def problems_by_field(locale: str, problems: Iterable[FieldProblem]) -> dict[str, list[str]]:
    """Translated messages grouped by field name, each message once."""
    grouped: dict[str, list[str]] = {}
    for problem in problems:
        text = translate(locale, problem.message, problem.params)
        bucket = grouped.setdefault(problem.field, [])
        if text not in bucket:
            bucket.append(text)
    return grouped


def error_message(locale: str, exc: DomainError) -> str:
    """The translated headline message of a domain error."""
    return translate(locale, exc.message, exc.params)


@dataclass(frozen=True)
class FormRefusal:
    """Why a submitted form was not saved: problems by field, a headline, a status."""

    problems: list[FieldProblem]
    message: str
    status_code: int


T = TypeVar("T")


def submit_form(
    db: Session,
    locale: str,
    schema: type[M],
    payload: dict[str, Any],
    save: Callable[[M], T],
    *,
    more_problems: Callable[[], list[FieldProblem]] | None = None,
) -> T | FormRefusal:
    """Validate a form and save it in a savepoint; a refusal leaves nothing written.

    Out-of-scope (404) and forbidden (403) errors propagate to the error page.
    """
    try:
        data = schema.model_validate(payload)
    except ValidationError as exc:
        problems = validation_problems(exc)
        if more_problems is not None:
            seen = {p.field for p in problems}
            problems += [p for p in more_problems() if p.field not in seen]
        message = translate(locale, N_("Please correct the fields marked below."))
        return FormRefusal(problems, message, 422)
    try:
        with db.begin_nested():
            return save(data)
    except DomainError as exc:
        if exc.status_code in (403, 404):
            raise
        return FormRefusal(exc.problems, error_message(locale, exc), exc.status_code)


def text(form: FormData, name: str) -> str:
    """A trimmed text value of a posted form ('' when absent)."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def optional(form: FormData, name: str) -> str | None:
    """A trimmed text value, or None when blank."""
    return text(form, name) or None


def put_required(payload: dict[str, Any], form: FormData, *names: str) -> None:
    """Copy required values; a blank one is left out so the schema reports it missing."""
    for name in names:
        if value := text(form, name):
            payload[name] = value


REFUSED_FILTER = N_("A filter value that is not one of the choices was left out.")


def refused_filters(request: Request, keys: Iterable[str], values: dict[str, str]) -> list[str]:
    """The filters the query string gave that did not survive validation into `values`."""
    return [k for k in keys if (request.query_params.get(k) or "").strip() and k not in values]


def query_filter(model: type[M], request: Request, keys: Iterable[str]) -> tuple[M, dict[str, str]]:
    """A list filter from the query string; a value the schema refuses is dropped, never a 422."""
    values: dict[str, str] = {}
    for key in keys:
        raw = (request.query_params.get(key) or "").strip()
        if not raw:
            continue
        try:
            model.model_validate({key: raw})
        except ValidationError:
            continue
        values[key] = raw
    return model.model_validate(values), values


def page_number(request: Request) -> int:
    """The 1-based page asked for; anything odd means the first page."""
    return parse_page(request.query_params.get("page"))


def list_page(
    request: Request,
    base: str,
    template: str,
    fragment: str,
    values: dict[str, str],
    context: dict[str, Any],
) -> HTMLResponse:
    """The whole list page, or only its results when htmx reloads them (URL kept clean)."""
    page = context.get("page")
    number = getattr(page, "page", 1)
    query = urlencode(values | ({"page": str(number)} if number > 1 else {}))
    context = context | {
        "values": values,
        "query": urlencode(values),
        "pager_url": lambda n: f"{base}?" + urlencode(values | {"page": str(n)}),
    }
    if request.headers.get("hx-target") == "results":
        clean = base + (f"?{query}" if query else "")
        return render(request, fragment, context, headers={"HX-Push-Url": clean})
    return render(request, template, context)


def form_values(form: FormData) -> dict[str, Any]:
    """What the user typed (text fields and multi-valued checkboxes) to show again."""
    values: dict[str, Any] = {}
    for key in form:
        items = [v for v in form.getlist(key) if isinstance(v, str)]
        values[key] = items if len(items) > 1 else (items[0] if items else "")
    return values


def refused(
    locale: str, action: Callable[[], object]
) -> tuple[list[FieldProblem], int, str] | None:
    """Run a posted form's action: None when it went through, else the problems, status and
    headline to show the form again with (403 and 404 are raised on, as pages of their own)."""
    try:
        action()
    except ValidationError as exc:
        return (
            validation_problems(exc),
            422,
            translate(locale, N_("Please correct the fields marked below.")),
        )
    except DomainError as exc:
        if exc.status_code in (403, 404):
            raise
        return exc.problems, exc.status_code, error_message(locale, exc)
    return None


def same_page(target: str, path: str) -> str:
    """Where to go back after a form: `target` when it is `path` on this site (with its query)."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or parts.path != path:
        return path
    return target
