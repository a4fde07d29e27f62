"""The outbox screen of district administrators: messages by state, retry, webhook subscribers,
and what the development adapters would have sent."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from yiyang.console.wording import CHANNEL_LABELS, EVENT_LABELS, STATE_CLASSES, STATE_LABELS
from yiyang.errors import N_, DomainError
from yiyang.events import outbox
from yiyang.events.types import EVENT_TYPES
from yiyang.kit.masking import mask_phone
from yiyang.kit.pagination import PageParams
from yiyang.kit.types import RowId
from yiyang.orders.page_helpers import md_hm
from yiyang.ports import log as port_log
from yiyang.ports import subscriptions
from yiyang.ports.models import WebhookSubscription
from yiyang.ports.schemas import WebhookCreate, WebhookUpdate
from yiyang.security.audit import service as audit
from yiyang.security.subject import Subject
from yiyang.web.deps import DbSession, Locale, PageSubject, get_locale
from yiyang.web.i18n import translate
from yiyang.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])
PAGE_SIZE = 50
SEARCH_MAX = 100


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock()
    return now


def _filter(params: Mapping[str, str]) -> tuple[outbox.OutboxFilter, dict[str, str], int]:
    """Filters from the query string; values that are not choices are dropped, never a 500."""
    state = params.get("state", "")
    channel = params.get("channel", "")
    search = (params.get("q") or "").strip()[:SEARCH_MAX]
    values = {
        k: v
        for k, v in (
            ("state", state if state in outbox.STATES else ""),
            ("channel", channel if channel in outbox.CHANNELS else ""),
            ("q", search if search.isprintable() else ""),
        )
        if v
    }
    flt = outbox.OutboxFilter(values.get("state"), values.get("channel"), values.get("q"))
    return flt, values, _page_number(params)


def _page_number(params: Mapping[str, str]) -> int:
    """The ?page= number; anything but a small positive integer is page 1."""
    raw = params.get("page", "1")
    return max(1, int(raw)) if raw.isascii() and raw.isdigit() and len(raw) < 7 else 1


def _labels(locale: str) -> dict[str, Any]:
    def lab(table: dict[str, str]) -> Any:
        return lambda code: translate(locale, table[code]) if code in table else (code or "")

    return {
        "state_label": lab(STATE_LABELS),
        "channel_label": lab(CHANNEL_LABELS),
        "event_label": lab(EVENT_LABELS),
        "state_class": lambda code: STATE_CLASSES.get(code, ""),
        "md_hm": md_hm,
        "mask_phone": mask_phone,
    }


def _screen(
    request: Request,
    db: Session,
    subject: Subject,
    locale: str,
    *,
    created: WebhookSubscription | None = None,
    errors: dict[str, list[str]] | None = None,
    form: dict[str, Any] | None = None,
    message: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    subscriptions.require_admin(subject)
    subs = subscriptions.listing(db, subject)
    flt, values, number = _filter(request.query_params)
    page = outbox.listing(db, flt, PageParams(page=number, size=PAGE_SIZE))
    context = _labels(locale) | {
        "page": page,
        "values": values,
        "counts": outbox.counts(db),
        "states": outbox.STATES,
        "channels": outbox.CHANNELS,
        "subs": subs,
        "sub_urls": {str(s.id): s.url for s in subs},
        "event_types": sorted(EVENT_TYPES),
        "created": created,
        "errors": errors or {},
        "form": form or {},
        "message": message,
        "here": "/console/outbox" + (f"?{urlencode(values)}" if values else ""),
        "pager_url": lambda n: "/console/outbox?" + urlencode(values | {"page": str(n)}),
    }
    if request.headers.get("hx-target") == "results":
        return render(request, "console/_outbox_results.html", context)
    return render(request, "console/outbox.html", context, status_code=status_code)


@router.get("/console/outbox", response_class=HTMLResponse)
def outbox_screen(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale
) -> HTMLResponse:
    """Messages to the outside by state, with the error of their last try."""
    return _screen(request, db, subject, locale)


def _back(target: str) -> str:
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or parts.path != "/console/outbox":
        return "/console/outbox"
    return target


@router.post("/console/outbox/{message_id}/retry", response_model=None)
def retry(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    message_id: RowId,
    next_url: Annotated[str, Form(alias="next")] = "",
) -> Response:
    """Try a waiting or dead message again now, with a fresh set of tries (audited)."""
    subscriptions.require_admin(subject)
    now = _now(request)
    message = outbox.retry(db, message_id, now=now)
    audit.record(
        db, subject, "outbox_retry", "outbox_message", message.id,
        after={"key": message.idempotency_key, "channel": message.channel}, at=now,
    )  # fmt: skip
    return RedirectResponse(_back(next_url), status_code=303)


def _problems(locale: str, exc: ValidationError | DomainError) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    if isinstance(exc, ValidationError):
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else "url"
            found.setdefault(field, []).append(
                translate(locale, N_("Enter a valid http or https address."))
                if field == "url"
                else translate(locale, N_("Choose at least one event type."))
            )
        return found
    for problem in exc.problems:
        found.setdefault(problem.field, []).append(
            translate(locale, problem.message, problem.params)
        )
    return found


@router.post("/console/webhooks", response_model=None)
def create_webhook(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    locale: Locale,
    url: Annotated[str, Form()] = "",
    event_types: Annotated[list[str] | None, Form()] = None,
    description: Annotated[str, Form()] = "",
) -> Response:
    """Add a subscriber; the page then shows its signing secret, this once."""
    form = {"url": url, "event_types": event_types or [], "description": description}
    try:
        data = WebhookCreate.model_validate(form | {"description": description or None})
        sub = subscriptions.create(
            db, subject, data, now=_now(request),
            allowed_networks=request.app.state.settings.webhook_allowed_networks,
        )  # fmt: skip
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and exc.status_code in (403, 404):
            raise
        # Both are raised before anything is written: there is nothing to roll back.
        return _screen(
            request, db, subject, locale, errors=_problems(locale, exc), form=form,
            message=translate(locale, N_("Please correct the fields marked below.")),
            status_code=422,
        )  # fmt: skip
    return _screen(request, db, subject, locale, created=sub, status_code=201)


@router.post("/console/webhooks/{sub_id}/switch", response_model=None)
def switch_webhook(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    sub_id: RowId,
    active: Annotated[bool, Form()] = False,
) -> Response:
    """Switch a subscription off or on again."""
    subscriptions.update(db, subject, sub_id, WebhookUpdate(active=active), now=_now(request))
    return RedirectResponse("/console/outbox#webhooks", status_code=303)


@router.post("/console/webhooks/{sub_id}/delete", response_model=None)
def delete_webhook(
    request: Request, db: DbSession, subject: PageSubject, sub_id: RowId
) -> Response:
    """Remove a subscription."""
    subscriptions.delete(db, subject, sub_id, now=_now(request))
    return RedirectResponse("/console/outbox#webhooks", status_code=303)


@router.get("/console/sent", response_class=HTMLResponse)
def sent(request: Request, db: DbSession, subject: PageSubject, locale: Locale) -> HTMLResponse:
    """What the development adapters would have sent: texts, calls and webhooks."""
    subscriptions.require_admin(subject)
    channel = request.query_params.get("channel", "")
    channel = channel if channel in outbox.CHANNELS else ""
    number = _page_number(request.query_params)
    page = port_log.listing(db, PageParams(page=number, size=PAGE_SIZE), channel or None)
    values = {"channel": channel} if channel else {}
    context = _labels(locale) | {
        "page": page,
        "values": values,
        "channels": outbox.CHANNELS,
        "pager_url": lambda n: "/console/sent?" + urlencode(values | {"page": str(n)}),
    }
    if request.headers.get("hx-target") == "results":
        return render(request, "console/_sent_results.html", context)
    return render(request, "console/sent.html", context)
