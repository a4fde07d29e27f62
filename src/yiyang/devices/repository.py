"""Every query on devices and homes; the one place where their data scope is applied.

Scope: district-wide roles see every device. A street administrator sees the devices whose
`street_id` is their street, community staff those whose `community_id` is their community.
Those columns are copied from the elder or home a device is bound to; a device in stock
keeps the area of whoever registered it (a street admin's stock belongs to the street, a
community's to the community) and, once unbound, the area it was last bound in. Stock
registered by district staff has no area and only district-wide roles see it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, Select, case, false, func, insert, or_, select
from sqlalchemy.orm import Session, selectinload

from yiyang.devices.kinds import DeviceStatus
from yiyang.devices.models import Device, DeviceHistory, DeviceIdentity, Home, HomeResident
from yiyang.devices.rules import LOW_BATTERY_PCT
from yiyang.devices.schemas import Connection, DeviceFilter
from yiyang.errors import N_, NotFound
from yiyang.kit.pagination import PageParams
from yiyang.kit.types import parse_row_id
from yiyang.registry.areas.models import Area
from yiyang.security.subject import Subject


def readable(subject: Subject) -> Select[tuple[Device]]:
    """Devices the subject may see: district-wide, or by the device's street or community."""
    return select(Device).where(
        subject.scope.where(street=Device.street_id, community=Device.community_id)
    )


def readable_homes(subject: Subject) -> Select[tuple[Home]]:
    """Homes the subject may see: district-wide, or by the home's street or community."""
    return select(Home).where(
        subject.scope.where(street=Home.street_id, community=Home.community_id)
    )


_DETAIL = (
    selectinload(Device.identities),
    selectinload(Device.elder),
    selectinload(Device.home).selectinload(Home.residents).selectinload(HomeResident.elder),
)


def get(session: Session, subject: Subject, device_id: int, *, lock: bool = False) -> Device:
    """One readable device (identities, elder, home and residents loaded) or NotFound."""
    stmt = readable(subject).where(Device.id == device_id).options(*_DETAIL)
    if lock:
        stmt = stmt.with_for_update(of=Device)
    device = session.scalar(stmt.execution_options(populate_existing=True))
    if device is None:
        raise NotFound(N_("Device %(id)s not found."), id=device_id)
    return device


def history(session: Session, device_id: int) -> list[DeviceHistory]:
    """A device's history, oldest first."""
    stmt = select(DeviceHistory).where(DeviceHistory.device_id == device_id)
    return list(session.scalars(stmt.order_by(DeviceHistory.at, DeviceHistory.id)))


def _area_id(code: str) -> ScalarSelect[int]:
    return select(Area.id).where(Area.code == code).scalar_subquery()


def filtered(subject: Subject, flt: DeviceFilter) -> Select[tuple[Device]]:
    """The readable devices narrowed by a filter; an area outside the scope matches nothing."""
    stmt = readable(subject)
    if flt.q and (q := flt.q.strip()):
        squeezed = q.replace(" ", "").replace("-", "").replace(":", "").upper()
        by_identity = Device.id.in_(
            select(DeviceIdentity.device_id).where(
                or_(
                    DeviceIdentity.value.contains(q, autoescape=True),
                    func.replace(func.upper(DeviceIdentity.value), ":", "").contains(
                        squeezed, autoescape=True
                    )
                    if squeezed
                    else false(),
                )
            )
        )
        if (number := parse_row_id(q.lstrip("#"))) is not None:
            stmt = stmt.where(or_(Device.id == number, by_identity))
        else:
            stmt = stmt.where(by_identity)
    if flt.kind:
        stmt = stmt.where(Device.kind == str(flt.kind))
    if flt.status:
        stmt = stmt.where(Device.status == str(flt.status))
    if flt.street_code:
        stmt = stmt.where(Device.street_id == _area_id(flt.street_code))
    if flt.community_code:
        stmt = stmt.where(Device.community_id == _area_id(flt.community_code))
    if flt.connection == Connection.ONLINE:
        stmt = stmt.where(Device.online.is_(True), Device.status == DeviceStatus.INSTALLED)
    elif flt.connection == Connection.OFFLINE:
        stmt = stmt.where(Device.online.is_(False), Device.status == DeviceStatus.INSTALLED)
    if flt.low_battery:
        stmt = stmt.where(Device.battery_pct <= LOW_BATTERY_PCT)
    if flt.elder_id is not None:
        homes = select(HomeResident.home_id).where(HomeResident.elder_id == flt.elder_id)
        stmt = stmt.where(or_(Device.elder_id == flt.elder_id, Device.home_id.in_(homes)))
    if flt.home_id is not None:
        stmt = stmt.where(Device.home_id == flt.home_id)
    return stmt


def search(
    session: Session, subject: Subject, flt: DeviceFilter, page: PageParams
) -> tuple[list[Device], int]:
    """One page of matching devices (newest first, identities loaded) and the total count."""
    stmt = filtered(subject, flt)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = session.scalars(
        stmt.options(selectinload(Device.identities), selectinload(Device.elder))
        .order_by(Device.id.desc())
        .offset(page.offset)
        .limit(page.size)
    )
    return list(rows), total


def counts(session: Session, subject: Subject) -> dict[str, int]:
    """How many readable devices are in stock, installed, retired, and installed ones online,
    offline or low on battery."""
    d = readable(subject).subquery()
    live = d.c.status == DeviceStatus.INSTALLED  # stock is not expected to be online

    def n(cond: Any) -> Any:
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

    row = session.execute(
        select(
            func.count(),
            n(d.c.status == DeviceStatus.IN_STOCK),
            n(d.c.status == DeviceStatus.INSTALLED),
            n(d.c.status == DeviceStatus.RETIRED),
            n(live & d.c.online.is_(True)),
            n(live & d.c.online.is_(False)),
            n(live & (d.c.battery_pct <= LOW_BATTERY_PCT)),
        ).select_from(d)
    ).one()
    keys = ("total", "in_stock", "installed", "retired", "online", "offline", "low_battery")
    return dict(zip(keys, (int(v) for v in row), strict=True))


def identity_owners(
    session: Session, pairs: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    """Which of these (scheme, value) identities already belong to a device, and to which."""
    if not pairs:
        return {}
    conds = [(DeviceIdentity.scheme == s) & (DeviceIdentity.value == v) for s, v in pairs]
    rows = session.execute(
        select(DeviceIdentity.scheme, DeviceIdentity.value, DeviceIdentity.device_id).where(
            or_(*conds)
        )
    )
    return {(s, v): device_id for s, v, device_id in rows}


def taken_values(session: Session, scheme: str, values: Sequence[str]) -> set[str]:
    """Which of these values of one scheme are already some device's identity (bulk checks)."""
    found: set[str] = set()
    for i in range(0, len(values), 500):
        chunk = list(values[i : i + 500])
        found |= set(
            session.scalars(
                select(DeviceIdentity.value).where(
                    DeviceIdentity.scheme == scheme, DeviceIdentity.value.in_(chunk)
                )
            )
        )
    return found


def home_of(session: Session, elder_id: int) -> Home | None:
    """The home an elder lives in (residents loaded), if any."""
    stmt = (
        select(Home)
        .join(HomeResident, HomeResident.home_id == Home.id)
        .where(HomeResident.elder_id == elder_id)
        .options(selectinload(Home.residents).selectinload(HomeResident.elder))
    )
    return session.scalar(stmt)


def get_home(session: Session, subject: Subject, home_id: int) -> Home:
    """One readable home (residents loaded) or NotFound."""
    stmt = (
        readable_homes(subject)
        .where(Home.id == home_id)
        .options(selectinload(Home.residents).selectinload(HomeResident.elder))
        .execution_options(populate_existing=True)
    )
    home = session.scalar(stmt)
    if home is None:
        raise NotFound(N_("Home %(id)s not found."), id=home_id)
    return home


def search_homes(session: Session, subject: Subject, page: PageParams) -> tuple[list[Home], int]:
    """One page of readable homes (residents loaded) and the total count."""
    stmt = readable_homes(subject)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.options(selectinload(Home.residents).selectinload(HomeResident.elder))
        .order_by(Home.id)
        .offset(page.offset)
        .limit(page.size)
    )
    return list(rows), total


def home_device_ids(session: Session, home_ids: Sequence[int]) -> dict[int, list[int]]:
    """The live devices fitted in each home."""
    out: dict[int, list[int]] = {h: [] for h in home_ids}
    if not home_ids:
        return out
    rows = session.execute(
        select(Device.home_id, Device.id)
        .where(Device.home_id.in_(list(home_ids)), Device.status != DeviceStatus.RETIRED)
        .order_by(Device.id)
    )
    for home_id, device_id in rows:
        out[home_id].append(device_id)
    return out


def elder_devices(session: Session, subject: Subject, elder_id: int) -> list[Device]:
    """The live devices an elder wears or that are fitted in their home (readable ones)."""
    homes = select(HomeResident.home_id).where(HomeResident.elder_id == elder_id)
    stmt = (
        readable(subject)
        .where(
            or_(Device.elder_id == elder_id, Device.home_id.in_(homes)),
            Device.status != DeviceStatus.RETIRED,
        )
        .options(selectinload(Device.identities))
        .order_by(Device.kind, Device.id)
    )
    return list(session.scalars(stmt))


def insert_many(
    session: Session, table: Any, values: list[dict[str, Any]], chunk: int = 1000
) -> None:
    """Bulk-insert plain rows (demo and batch import), in chunks."""
    for i in range(0, len(values), chunk):
        session.execute(insert(table), values[i : i + chunk])


def find_one(session: Session, subject: Subject, text: str) -> int | None:
    """The readable device whose number or exact identity (any separators) this is."""
    value = text.strip()
    if not value:
        return None
    squeezed = value.replace(" ", "").replace("-", "").replace(":", "").upper()
    by_identity = Device.id.in_(
        select(DeviceIdentity.device_id).where(
            or_(
                DeviceIdentity.value == value,
                func.replace(func.upper(DeviceIdentity.value), ":", "") == squeezed,
            )
        )
    )
    cond: ColumnElement[bool] = by_identity
    if (number := parse_row_id(value.lstrip("#"))) is not None:
        cond = or_(Device.id == number, by_identity)
    found = session.scalars(readable(subject).where(cond).limit(2)).all()
    return found[0].id if len(found) == 1 else None
