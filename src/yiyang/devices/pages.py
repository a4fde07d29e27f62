"""Device pages: the list with counts, a device's record, and the forms that change it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from yiyang.devices import reading, rules, service
from yiyang.devices import repository as repo
from yiyang.devices.kinds import KINDS, DeviceKind, DeviceStatus, HistoryAction
from yiyang.devices.models import Device
from yiyang.devices.schemas import (
    BindIn,
    DeviceCreate,
    DeviceFilter,
    DeviceListItem,
    InstallIn,
    ReasonIn,
    ReplaceIn,
)
from yiyang.errors import N_, DomainError, Invalid
from yiyang.kit.pagination import Page, PageParams
from yiyang.kit.types import RowId
from yiyang.protocols.vocabulary import IdentityScheme
from yiyang.registry.areas import service as areas_service
from yiyang.registry.elders import repository as elder_repository
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject
from yiyang.web.deps import DbSession, FormBody, Locale, PageSubject, get_locale
from yiyang.web.forms import (
    REFUSED_FILTER,
    FormRefusal,
    error_message,
    form_values,
    list_page,
    page_number,
    problems_by_field,
    query_filter,
    refused_filters,
    submit_form,
    text,
)
from yiyang.web.i18n import translate
from yiyang.web.templating import register_labels, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])

PAGE_SIZE = 25
FILTER_KEYS = (
    "q",
    "kind",
    "status",
    "connection",
    "low_battery",
    "street_code",
    "community_code",
)

STATUS_LABELS = {
    DeviceStatus.IN_STOCK: N_("In stock"),
    DeviceStatus.INSTALLED: N_("Installed"),
    DeviceStatus.RETIRED: N_("Retired"),
}
ACTION_LABELS = {
    HistoryAction.REGISTERED: N_("Registered into stock"),
    HistoryAction.INSTALLED: N_("Installed"),
    HistoryAction.BOUND: N_("Bound"),
    HistoryAction.UNBOUND: N_("Unbound"),
    HistoryAction.REPLACED: N_("Replaced"),
    HistoryAction.REPLACEMENT: N_("Took another's place"),
    HistoryAction.RETIRED: N_("Retired"),
    HistoryAction.CREDENTIAL_ROTATED: N_("New credential"),
}
SCHEME_LABELS = {
    IdentityScheme.IMEI: N_("IMEI"),
    IdentityScheme.SERIAL: N_("Serial number"),
    IdentityScheme.MAC: N_("MAC address"),
}
register_labels(
    {f"device.kind.{k}": info.label for k, info in KINDS.items()}
    | {f"device.status.{k}": v for k, v in STATUS_LABELS.items()}
    | {f"device.action.{k}": v for k, v in ACTION_LABELS.items()}
    | {f"device.scheme.{k}": v for k, v in SCHEME_LABELS.items()}
)


def minutes_since(at: datetime | None, now: datetime) -> int | None:
    """Whole minutes from `at` to now (None when never)."""
    if at is None:
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return max(0, int((now - at).total_seconds() // 60))


def _helpers(now: datetime) -> dict[str, Any]:
    return {
        "kinds": list(DeviceKind),
        "statuses": list(DeviceStatus),
        "schemes": list(IdentityScheme),
        "since": lambda at: minutes_since(at, now),
        "low_battery": rules.is_low_battery,
        "is_worn": rules.is_worn,
    }


@router.get("/devices", response_class=HTMLResponse)
def device_list(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale
) -> HTMLResponse:
    """Devices in the caller's scope with counts by state; every filter narrows it."""
    subject.require(Perm.DEVICE_READ)
    flt, values = query_filter(DeviceFilter, request, FILTER_KEYS)
    if dropped := areas_service.drop_unknown_areas(db, values):
        flt = flt.model_copy(update=dict.fromkeys(dropped))
    refused = refused_filters(request, FILTER_KEYS, values)
    values.pop("low_battery", None)
    if flt.low_battery:
        values["low_battery"] = "1"
    params = PageParams(page=page_number(request), size=PAGE_SIZE)
    message = translate(locale, REFUSED_FILTER) if refused else None
    try:
        page = reading.list_devices(db, subject, flt, params)
    except DomainError as exc:
        message = error_message(locale, exc)
        page = Page[DeviceListItem](items=[], total=0, page=1, size=PAGE_SIZE)
    context = _helpers(request.app.state.clock()) | {
        "page": page,
        "message": message,
        "counts": reading.counts(db, subject),
        "choices": areas_service.area_choices(db, subject),
        "may_write": subject.can(Perm.DEVICE_WRITE),
    }
    return list_page(
        request, "/devices", "devices/list.html", "devices/_results.html", values, context
    )


def _identities(form: FormData) -> list[dict[str, str]]:
    """The identity rows of the register form (blank ones left out)."""
    out = []
    for scheme in IdentityScheme:
        for value in form.getlist(f"identity_{scheme}"):
            if isinstance(value, str) and value.strip():
                out.append({"scheme": str(scheme), "value": value.strip()})
    return out


def _register_payload(form: FormData) -> dict[str, Any]:
    payload: dict[str, Any] = {"identities": _identities(form)}
    for name in ("kind", "vendor", "model", "protocol", "firmware"):
        if value := text(form, name):
            payload[name] = value
    return payload


@router.get("/devices/new", response_class=HTMLResponse)
def new_device(request: Request, subject: PageSubject) -> HTMLResponse:
    """The form to register a delivered device."""
    subject.require(Perm.DEVICE_WRITE)
    context = _helpers(request.app.state.clock()) | {
        "values": {"protocol": "house"},
        "errors": {},
        "message": None,
    }
    return render(request, "devices/new.html", context)


def _identity_field(field: str) -> str:
    """Problems on identities.N.value show under the single identity fields."""
    return "identities" if field.startswith("identities") else field


@router.post("/devices/new", response_model=None)
def register(
    request: Request, db: DbSession, subject: PageSubject, form: FormBody, locale: Locale
) -> Response:
    """Register the device and show its secret once, or the form again with each problem."""
    subject.require(Perm.DEVICE_WRITE)
    now = request.app.state.clock()
    result = submit_form(
        db,
        locale,
        DeviceCreate,
        _register_payload(form),
        lambda data: service.register(db, subject, data, now=now),
    )
    if isinstance(result, FormRefusal):
        for p in result.problems:
            p.field = _identity_field(p.field)
        context = _helpers(now) | {
            "values": form_values(form),
            "errors": problems_by_field(locale, result.problems),
            "message": result.message,
        }
        return render(request, "devices/new.html", context, status_code=result.status_code)
    device, secret = result
    return _record(request, db, subject, device.id, secret=secret, saved=True)


def _record(
    request: Request,
    db: DbSession,
    subject: Subject,
    device_id: int,
    *,
    secret: str | None = None,
    saved: bool = False,
    errors: dict[str, list[str]] | None = None,
    message: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    device = repo.get(db, subject, device_id)
    home = device.home
    if home is None and device.elder_id is not None:
        home = repo.home_of(db, device.elder_id)
    context = _helpers(request.app.state.clock()) | {
        "d": device,
        "home": home,
        "history": repo.history(db, device.id),
        "secret": secret,
        "saved": saved or request.query_params.get("saved") == "1",
        "errors": errors or {},
        "message": message,
        "may_write": subject.can(Perm.DEVICE_WRITE),
        "bound": device.elder_id is not None or device.home_id is not None,
    }
    return render(request, "devices/detail.html", context, status_code=status_code)


@router.get("/devices/{device_id}", response_class=HTMLResponse)
def device_page(
    request: Request, db: DbSession, subject: PageSubject, device_id: RowId
) -> HTMLResponse:
    """A device: identities, binding, home and residents, state and its history."""
    subject.require(Perm.DEVICE_READ)
    return _record(request, db, subject, device_id)


def _elder_id(db: DbSession, subject: Subject, raw: str, *, field: str = "elder") -> int | None:
    """The elder named on a form by ID card number or record number (readable ones only)."""
    value = raw.strip().upper()
    if not value:
        return None
    if found := elder_repository.id_with_number(db, subject, value):
        return found
    if value.lstrip("#").isdigit() and len(value) < 12:
        return int(value.lstrip("#"))
    raise Invalid(
        N_("No elder with this ID number or record number in your area."),
        field=field,
        code="unknown_elder",
    )


def _act(
    request: Request,
    db: DbSession,
    subject: Subject,
    locale: str,
    device_id: int,
    action: Any,
) -> Response:
    """Run one action in a savepoint; back to the record, or the record with the problem."""
    try:
        with db.begin_nested():
            result = action()
    except DomainError as exc:
        if exc.status_code in (403, 404) and exc.field is None:
            raise
        problems = exc.problems or []
        return _record(
            request,
            db,
            subject,
            device_id,
            errors=problems_by_field(locale, problems),
            message=error_message(locale, exc),
            status_code=exc.status_code,
        )
    except ValueError as exc:  # pydantic's ValidationError of a form value
        return _record(
            request, db, subject, device_id, message=str(exc).splitlines()[0], status_code=422
        )
    target = result.id if isinstance(result, Device) else device_id
    return RedirectResponse(f"/devices/{target}?saved=1", status_code=303)


@router.post("/devices/{device_id}/bind", response_model=None)
def bind(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    form: FormBody,
    locale: Locale,
    device_id: RowId,
) -> Response:
    """Bind the device to an elder (or the elder's home) and record it installed."""
    subject.require(Perm.DEVICE_WRITE)
    now = request.app.state.clock()

    def go() -> Device:
        elder_id = _elder_id(db, subject, text(form, "elder"))
        if elder_id is None:
            raise Invalid(N_("Give the elder's ID card number."), field="elder")
        data = BindIn(
            elder_id=elder_id,
            location_note=text(form, "location_note") or None,
            install=True,
        )
        return service.bind(db, subject, device_id, data, now=now)

    return _act(request, db, subject, locale, device_id, go)


@router.post("/devices/{device_id}/install", response_model=None)
def install(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    form: FormBody,
    locale: Locale,
    device_id: RowId,
) -> Response:
    """Record the bound device as fitted now."""
    subject.require(Perm.DEVICE_WRITE)
    data = InstallIn(location_note=text(form, "location_note") or None)
    now = request.app.state.clock()
    return _act(
        request,
        db,
        subject,
        locale,
        device_id,
        lambda: service.install(db, subject, device_id, data, now=now),
    )


@router.post("/devices/{device_id}/unbind", response_model=None)
def unbind(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    form: FormBody,
    locale: Locale,
    device_id: RowId,
) -> Response:
    """Take the device off its elder or home."""
    subject.require(Perm.DEVICE_WRITE)
    now = request.app.state.clock()
    return _act(
        request,
        db,
        subject,
        locale,
        device_id,
        lambda: service.unbind(
            db, subject, device_id, ReasonIn(reason=text(form, "reason") or None), now=now
        ),
    )


@router.post("/devices/{device_id}/replace", response_model=None)
def replace(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    form: FormBody,
    locale: Locale,
    device_id: RowId,
) -> Response:
    """Replace the device with one in stock, named by its number or any identity."""
    subject.require(Perm.DEVICE_WRITE)
    now = request.app.state.clock()

    def go() -> Device:
        new_id = repo.find_one(db, subject, text(form, "new_device"))
        if new_id is None:
            raise Invalid(
                N_("No device with this number or identity in your area."),
                field="new_device_id",
                code="unknown_device",
            )
        data = ReplaceIn(new_device_id=new_id, reason=text(form, "reason") or None)
        return service.replace(db, subject, device_id, data, now=now)

    return _act(request, db, subject, locale, device_id, go)


@router.post("/devices/{device_id}/retire", response_model=None)
def retire(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    form: FormBody,
    locale: Locale,
    device_id: RowId,
) -> Response:
    """Retire the device, with the reason."""
    subject.require(Perm.DEVICE_WRITE)
    now = request.app.state.clock()
    return _act(
        request,
        db,
        subject,
        locale,
        device_id,
        lambda: service.retire(
            db, subject, device_id, ReasonIn(reason=text(form, "reason") or None), now=now
        ),
    )


@router.post("/devices/{device_id}/rotate", response_model=None)
def rotate(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    locale: Locale,
    device_id: RowId,
) -> Response:
    """Give the device a new secret and show it once."""
    subject.require(Perm.DEVICE_WRITE)
    now = request.app.state.clock()
    try:
        with db.begin_nested():
            secret = service.rotate_credential(db, subject, device_id, now=now)
    except DomainError as exc:
        if exc.status_code in (403, 404):
            raise
        return _record(
            request,
            db,
            subject,
            device_id,
            message=error_message(locale, exc),
            status_code=exc.status_code,
        )
    return _record(request, db, subject, device_id, secret=secret)


@router.post("/devices/{device_id}/resident", response_model=None)
def add_resident(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    form: FormBody,
    locale: Locale,
    device_id: RowId,
) -> Response:
    """Another elder lives in the device's home."""
    subject.require(Perm.DEVICE_WRITE)
    now = request.app.state.clock()

    def go() -> None:
        device = repo.get(db, subject, device_id)
        if device.home_id is None:
            raise Invalid(N_("This device is not fitted in a home."), field="resident")
        elder_id = _elder_id(db, subject, text(form, "resident"), field="resident")
        if elder_id is None:
            raise Invalid(N_("Give the elder's ID card number."), field="resident")
        service.add_resident(db, subject, device.home_id, elder_id, now=now)

    return _act(request, db, subject, locale, device_id, go)
