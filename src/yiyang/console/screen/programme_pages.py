"""The big screen's programme figures page (district administrators): this month's budget,
the investment to date and the devices fitted, each set from a day on, with their history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from yiyang.console.screen import programme
from yiyang.console.screen import programme_repository as repo
from yiyang.console.screen.programme import FigureIn, Key
from yiyang.kit.localtime import local_today
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject
from yiyang.web.deps import DbSession, FormBody, Locale, PageSubject, get_locale
from yiyang.web.forms import problems_by_field, refused, text
from yiyang.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])
PAGE = "/screen/figures"
HISTORY = 20
# Money is typed in yuan (the page) and kept in fen; a count is kept as typed.
IN_YUAN = {Key.BUDGET, Key.INVESTMENT}


def _page(
    request: Request, db: Session, subject: Subject, *,
    values: dict[str, dict[str, str]] | None = None,
    errors: dict[str, dict[str, list[str]]] | None = None, message: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:  # fmt: skip
    subject.require(Perm.SCREEN_FIGURES)
    today = local_today(request.app.state.clock())
    context: dict[str, Any] = {
        "now": programme.current(db, request.app.state.settings, today),
        "changes": repo.changes(db, HISTORY),
        "keys": Key, "in_yuan": IN_YUAN, "today": today,
        "values": values or {}, "errors": errors or {}, "message": message,
        "saved": request.query_params.get("saved") in {k.value for k in Key},
    }  # fmt: skip
    return render(request, "console/programme.html", context, status_code=status_code)


@router.get(PAGE, response_class=HTMLResponse)
def figures_page(request: Request, db: DbSession, subject: PageSubject) -> HTMLResponse:
    """The figures in force today, a form for each, and the recent changes."""
    return _page(request, db, subject)


def _day(raw: str, key: Key) -> str:
    """The form's day: a month ("2026-12") for the budget, a date otherwise."""
    if key is Key.BUDGET and len(raw) == 7:
        return f"{raw}-01"
    return raw


def _amount(raw: str, key: Key) -> int | str | None:
    """Yuan to fen for money (whole yuan); blank is None; anything else goes to the schema."""
    cleaned = raw.replace(",", "").replace("，", "").strip()
    if not cleaned:
        return None
    if key in IN_YUAN and cleaned.isdigit():
        return int(cleaned) * 100
    return cleaned


@router.post(PAGE + "/{key}", response_model=None)
def set_figure(
    request: Request, db: DbSession, subject: PageSubject, form: FormBody, locale: Locale,
    key: Key,
) -> Response:  # fmt: skip
    """Set one figure from a day on; a wrong value is said beside its field (422)."""
    subject.require(Perm.SCREEN_FIGURES)
    typed = {"value": text(form, "value"), "effective_from": text(form, "effective_from")}
    now: datetime = request.app.state.clock()

    def save() -> None:
        data = FigureIn.model_validate({
            "key": key, "value": _amount(typed["value"], key),
            "effective_from": _day(typed["effective_from"], key) or local_today(now).isoformat(),
        })  # fmt: skip
        with db.begin_nested():
            programme.set_figure(db, subject, data, now=now)

    refusal = refused(locale, save)
    if refusal is not None:
        problems, status_code, headline = refusal
        return _page(
            request, db, subject, values={key.value: typed},
            errors={key.value: problems_by_field(locale, problems)}, message=headline,
            status_code=status_code,
        )  # fmt: skip
    return RedirectResponse(f"{PAGE}?saved={key.value}", status_code=303)
