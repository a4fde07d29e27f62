"""Use cases of devices and homes: register, credential, bind, install, replace, retire.

Every action appends a `DeviceHistory` row (who, when, where), an audit row and, for the
ones others care about, a typed event. Services never commit; a refused action raises a
domain error before anything is written.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from yiyang.devices import events, rules
from yiyang.devices import repository as repo
from yiyang.devices.kinds import KINDS, DeviceStatus, HistoryAction
from yiyang.devices.models import Device, DeviceHistory, DeviceIdentity, Home, HomeResident
from yiyang.devices.schemas import (
    BindIn,
    DeviceCreate,
    InstallIn,
    ReasonIn,
    ReplaceIn,
)
from yiyang.errors import N_, Conflict, FieldProblem, Invalid, on_constraint
from yiyang.registry.areas.models import Area
from yiyang.registry.elders import repository as elder_repository
from yiyang.registry.elders.models import Elder
from yiyang.security.audit import service as audit
from yiyang.security.roles import Perm, Role
from yiyang.security.subject import Subject

IDENTITY_TAKEN = "identity_taken"

# Two registrations of one identity at the same moment: the database's unique key decides.
on_constraint(
    "uq_device_identity_scheme_value",
    lambda: Conflict(
        N_("One of these identities was registered for another device just now."),
        code=IDENTITY_TAKEN,
        field="identities",
    ),
)


def _snapshot(device: Device) -> dict[str, Any]:
    return {
        "kind": device.kind,
        "vendor": device.vendor,
        "model": device.model,
        "status": device.status,
        "elder_id": device.elder_id,
        "home_id": device.home_id,
        "location_note": device.location_note,
    }


def _raise_if(problems: list[FieldProblem]) -> None:
    if problems:
        first = problems[0]
        raise Invalid(first.message, field=first.field, problems=problems, **first.params)


def _history(
    session: Session,
    subject: Subject,
    device: Device,
    action: HistoryAction,
    now: datetime,
    *,
    place: str | None = None,
    other: Device | None = None,
    note: str | None = None,
) -> None:
    session.add(
        DeviceHistory(
            device_id=device.id,
            action=str(action),
            at=now,
            by_user_id=subject.user_id,
            by_name=(subject.display_name or subject.username)[:64],
            elder_id=device.elder_id,
            home_id=device.home_id,
            place=place,
            other_device_id=other.id if other else None,
            note=note,
        )
    )


def _publish(
    session: Session,
    subject: Subject,
    cls: type[events.DeviceEvent],
    device: Device,
    now: datetime,
    **extra: Any,
) -> None:
    events.publish(
        session,
        cls(occurred_at=now, actor=events.actor(subject), device=events.snapshot(device), **extra),
    )


def _owning_area(session: Session, subject: Subject) -> tuple[int | None, int | None]:
    """The street and community a new device in stock belongs to (see repository's note)."""
    if subject.role is Role.STREET_ADMIN:
        return subject.street_id, None
    if subject.role is Role.COMMUNITY_STAFF and subject.community_id is not None:
        community = session.get(Area, subject.community_id)
        return (community.parent_id if community else None), subject.community_id
    return None, None


def check_new_identities(
    session: Session, items: list[rules.IdentityIn], *, field: str = "identities"
) -> tuple[list[tuple[str, str]], list[FieldProblem], list[FieldProblem]]:
    """Normalised identities, their format problems, and those already some device's."""
    pairs, problems = rules.check_identities(items, field=field)
    owners = repo.identity_owners(session, pairs)
    taken = [
        FieldProblem(
            f"{field}.{i}.value",
            IDENTITY_TAKEN,
            N_("The identity %(value)s already belongs to device %(device)s."),
            {"value": value, "device": owners[(scheme, value)]},
        )
        for i, (scheme, value) in enumerate(pairs)
        if (scheme, value) in owners
    ]
    return pairs, problems, taken


def register(
    session: Session, subject: Subject, data: DeviceCreate, *, now: datetime
) -> tuple[Device, str]:
    """Register a delivered device (in stock) with its identities; returns it and its secret."""
    subject.require(Perm.DEVICE_WRITE)
    items = [rules.IdentityIn(str(i.scheme), i.value) for i in data.identities]
    pairs, problems, taken = check_new_identities(session, items)
    _raise_if(problems)
    if taken:
        first = taken[0]
        raise Conflict(
            first.message, field=first.field, code=IDENTITY_TAKEN, problems=taken, **first.params
        )
    street_id, community_id = _owning_area(session, subject)
    secret = secrets.token_urlsafe(24)
    device = Device(
        kind=str(data.kind),
        vendor=data.vendor.strip(),
        model=data.model.strip(),
        protocol=data.protocol.strip(),
        status=str(DeviceStatus.IN_STOCK),
        street_id=street_id,
        community_id=community_id,
        secret_hash=rules.secret_hash(secret),
        heartbeat_s=KINDS[data.kind].heartbeat_s,
        firmware=data.firmware,
        online=False,
        created_at=now,
    )
    device.identities = [DeviceIdentity(scheme=s, value=v) for s, v in pairs]
    session.add(device)
    session.flush()
    _history(session, subject, device, HistoryAction.REGISTERED, now)
    audit.record(session, subject, "register", "device", device.id, after=_snapshot(device), at=now)
    _publish(session, subject, events.DeviceRegistered, device, now)
    return device, secret


def rotate_credential(session: Session, subject: Subject, device_id: int, *, now: datetime) -> str:
    """Give the device a new secret (the old one stops working); returns it, shown once."""
    subject.require(Perm.DEVICE_WRITE)
    device = repo.get(session, subject, device_id, lock=True)
    if device.status == DeviceStatus.RETIRED:
        raise Conflict(N_("This device is retired: it has no credential."), code="retired")
    secret = secrets.token_urlsafe(24)
    device.secret_hash = rules.secret_hash(secret)
    _history(session, subject, device, HistoryAction.CREDENTIAL_ROTATED, now)
    audit.record(session, subject, "rotate_credential", "device", device.id, at=now)
    session.flush()
    return secret


def _place(home: Home | None, elder: Elder | None, note: str | None) -> str | None:
    address = home.address if home else (elder.address if elder else None)
    parts = [p for p in (address, note) if p]
    return " · ".join(parts)[:256] if parts else None


def home_for(session: Session, elder: Elder, *, now: datetime) -> Home:
    """The elder's home, made from their address and coordinates when they have none yet."""
    home = repo.home_of(session, elder.id)
    if home is not None:
        return home
    home = Home(
        address=elder.address,
        street_id=elder.street_id,
        community_id=elder.community_id,
        lat=elder.lat,
        lon=elder.lon,
        created_at=now,
    )
    home.residents = [HomeResident(elder_id=elder.id)]
    session.add(home)
    session.flush()
    return home


def bind(
    session: Session, subject: Subject, device_id: int, data: BindIn, *, now: datetime
) -> Device:
    """Bind a device: worn kinds to the elder, fixed kinds to the elder's (or a given) home."""
    subject.require(Perm.DEVICE_WRITE)
    device = repo.get(session, subject, device_id, lock=True)
    if problem := rules.bind_problem(device.status):
        raise Conflict(problem, code="retired")
    if device.elder_id is not None or device.home_id is not None:
        raise Conflict(
            N_("This device is already bound: unbind or replace it first."), code="already_bound"
        )
    worn = rules.is_worn(device.kind)
    elder: Elder | None = None
    home: Home | None = None
    if data.elder_id is not None:
        elder = elder_repository.get(session, subject, data.elder_id)
    if worn:
        if elder is None:
            raise Invalid(
                N_("A worn device is bound to the elder who wears it: choose the elder."),
                field="elder_id",
                code="required",
            )
        device.elder_id, device.home_id = elder.id, None
        device.street_id, device.community_id = elder.street_id, elder.community_id
    else:
        if data.home_id is not None:
            home = repo.get_home(session, subject, data.home_id)
        elif elder is not None:
            home = home_for(session, elder, now=now)
        else:
            raise Invalid(
                N_("A fixed device is fitted in a home: choose the elder who lives there."),
                field="elder_id",
                code="required",
            )
        device.elder_id, device.home_id = None, home.id
        device.street_id, device.community_id = home.street_id, home.community_id
    device.location_note = data.location_note
    place = _place(home, elder, data.location_note)
    session.flush()
    _history(session, subject, device, HistoryAction.BOUND, now, place=place)
    if data.install:
        _installed(session, subject, device, now, place)
    audit.record(session, subject, "bind", "device", device.id, after=_snapshot(device), at=now)
    _publish(session, subject, events.DeviceBound, device, now)
    return device


def _installed(
    session: Session, subject: Subject, device: Device, now: datetime, place: str | None
) -> None:
    device.status = str(DeviceStatus.INSTALLED)
    device.installed_at = now
    _history(session, subject, device, HistoryAction.INSTALLED, now, place=place)


def install(
    session: Session, subject: Subject, device_id: int, data: InstallIn, *, now: datetime
) -> Device:
    """Record a bound device as fitted now, with where in the home."""
    subject.require(Perm.DEVICE_WRITE)
    device = repo.get(session, subject, device_id, lock=True)
    if device.status == DeviceStatus.RETIRED:
        raise Conflict(N_("This device is retired and cannot be bound again."), code="retired")
    if device.elder_id is None and device.home_id is None:
        raise Conflict(
            N_("Bind the device to an elder or a home before installing it."), code="not_bound"
        )
    if data.location_note is not None:
        device.location_note = data.location_note
    _installed(
        session, subject, device, now, _place(device.home, device.elder, device.location_note)
    )
    audit.record(session, subject, "install", "device", device.id, after=_snapshot(device), at=now)
    session.flush()
    return device


def _clear_binding(device: Device) -> None:
    device.elder_id = None
    device.home_id = None
    device.location_note = None


def unbind(
    session: Session, subject: Subject, device_id: int, data: ReasonIn, *, now: datetime
) -> Device:
    """Take a device off its elder or home; it goes back to stock (of the same area)."""
    subject.require(Perm.DEVICE_WRITE)
    device = repo.get(session, subject, device_id, lock=True)
    if device.elder_id is None and device.home_id is None:
        raise Conflict(N_("This device is not bound to anyone."), code="not_bound")
    place = _place(device.home, device.elder, device.location_note)
    before = _snapshot(device)
    _history(session, subject, device, HistoryAction.UNBOUND, now, place=place, note=data.reason)
    _clear_binding(device)
    device.status = str(DeviceStatus.IN_STOCK)
    device.installed_at = None
    session.flush()
    audit.record(
        session,
        subject,
        "unbind",
        "device",
        device.id,
        before=before,
        after=_snapshot(device),
        detail=data.reason,
        at=now,
    )
    _publish(session, subject, events.DeviceBound, device, now, reason=data.reason)
    return device


def replace(
    session: Session, subject: Subject, device_id: int, data: ReplaceIn, *, now: datetime
) -> Device:
    """The new device takes the old one's binding and place; the old is retired. Returns new."""
    subject.require(Perm.DEVICE_WRITE)
    if data.new_device_id == device_id:
        raise Invalid(N_("A device cannot replace itself."), field="new_device_id", code="same")
    old = repo.get(session, subject, device_id, lock=True)
    new = repo.get(session, subject, data.new_device_id, lock=True)
    problems = rules.replace_problems(
        old_status=old.status,
        old_bound=old.elder_id is not None or old.home_id is not None,
        new_status=new.status,
        new_bound=new.elder_id is not None or new.home_id is not None,
        same_kind=old.kind == new.kind,
    )
    if problems:
        raise Conflict(problems[0], code="cannot_replace", field="new_device_id")
    place = _place(old.home, old.elder, old.location_note)
    new.elder_id, new.home_id, new.location_note = old.elder_id, old.home_id, old.location_note
    new.street_id, new.community_id = old.street_id, old.community_id
    new.status, new.installed_at = str(DeviceStatus.INSTALLED), now
    _history(
        session, subject, old, HistoryAction.REPLACED, now, place=place, other=new, note=data.reason
    )
    _clear_binding(old)
    old.status, old.retired_at = str(DeviceStatus.RETIRED), now
    session.flush()
    _history(
        session,
        subject,
        new,
        HistoryAction.REPLACEMENT,
        now,
        place=place,
        other=old,
        note=data.reason,
    )
    audit.record(
        session,
        subject,
        "replace",
        "device",
        old.id,
        after={"replacement_id": new.id},
        detail=data.reason,
        at=now,
    )
    _publish(
        session, subject, events.DeviceReplaced, old, now, replacement_id=new.id, reason=data.reason
    )
    _publish(session, subject, events.DeviceBound, new, now)
    return new


def retire(
    session: Session, subject: Subject, device_id: int, data: ReasonIn, *, now: datetime
) -> Device:
    """Retire a device for good (lost, broken, returned); the reason is required."""
    subject.require(Perm.DEVICE_WRITE)
    reason = (data.reason or "").strip()
    if not reason:
        raise Invalid(N_("Say why the device is retired."), field="reason", code="required")
    device = repo.get(session, subject, device_id, lock=True)
    if device.status == DeviceStatus.RETIRED:
        raise Conflict(N_("This device is already retired."), code="retired")
    place = _place(device.home, device.elder, device.location_note)
    _history(session, subject, device, HistoryAction.RETIRED, now, place=place, note=reason)
    _clear_binding(device)
    device.status, device.retired_at, device.online = str(DeviceStatus.RETIRED), now, False
    session.flush()
    audit.record(
        session,
        subject,
        "retire",
        "device",
        device.id,
        after=_snapshot(device),
        detail=reason,
        at=now,
    )
    _publish(session, subject, events.DeviceRetired, device, now, reason=reason)
    return device


def add_resident(
    session: Session, subject: Subject, home_id: int, elder_id: int, *, now: datetime
) -> Home:
    """Another elder lives in this home (a couple, siblings); an elder lives in one home."""
    subject.require(Perm.DEVICE_WRITE)
    home = repo.get_home(session, subject, home_id)
    elder = elder_repository.get(session, subject, elder_id)
    current = repo.home_of(session, elder.id)
    if current is not None:
        if current.id == home.id:
            raise Conflict(
                N_("%(name)s already lives in this home."),
                name=elder.name,
                code="already_resident",
                field="elder_id",
            )
        raise Conflict(
            N_("%(name)s already lives in home %(home)s."),
            name=elder.name,
            home=current.id,
            code="other_home",
            field="elder_id",
        )
    session.add(HomeResident(home_id=home.id, elder_id=elder.id))
    audit.record(
        session, subject, "add_resident", "home", home.id, after={"elder_id": elder.id}, at=now
    )
    session.flush()
    return repo.get_home(session, subject, home.id)
