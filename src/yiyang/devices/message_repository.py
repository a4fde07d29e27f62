"""Every query of the gateway: devices by identity, dedup, state updates, dead-letter counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    CursorResult,
    Table,
    Text,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yiyang.devices.message_models import DeadLetter, DeviceMessage, DeviceReading, VendorDelivery
from yiyang.devices.models import Device, DeviceIdentity, HomeResident
from yiyang.security.subject import Subject


def device_by_identity(session: Session, scheme: str, value: str) -> Device | None:
    """The device that has this identity (an identity belongs to one device, ever)."""
    stmt = (
        select(Device)
        .join(DeviceIdentity, DeviceIdentity.device_id == Device.id)
        .where(DeviceIdentity.scheme == scheme, DeviceIdentity.value == value)
    )
    return session.scalar(stmt)


def pairs_in(session: Session, first: Any, second: Any, pairs: list[Any]) -> ColumnElement[bool]:
    """`(first, second) IN pairs`; on PostgreSQL as two arrays (unnest), a statement the
    driver keeps prepared, where a long IN list is rendered and parsed anew every time."""
    if session.get_bind().dialect.name != "postgresql":
        return tuple_(first, second).in_(pairs)
    arrays = [bindparam(None, [p[i] for p in pairs], type_=ARRAY(Text)) for i in (0, 1)]
    given = func.unnest(*arrays).table_valued("a", "b").render_derived()
    return tuple_(first, second).in_(select(given.c.a, given.c.b))


def devices_by_identities(
    session: Session, identities: set[tuple[str, str]]
) -> dict[tuple[str, str], Device]:
    """The devices of many identities in one query, by (scheme, value)."""
    if not identities:
        return {}
    stmt = (
        select(DeviceIdentity.scheme, DeviceIdentity.value, Device)
        .join(Device, DeviceIdentity.device_id == Device.id)
        .where(pairs_in(session, DeviceIdentity.scheme, DeviceIdentity.value, sorted(identities)))
    )
    return {(scheme, value): device for scheme, value, device in session.execute(stmt)}


def resident_ids(session: Session, home_id: int | None) -> list[int]:
    """The elders living in a home, in a stable order."""
    if home_id is None:
        return []
    stmt = select(HomeResident.elder_id).where(HomeResident.home_id == home_id)
    return list(session.scalars(stmt.order_by(HomeResident.elder_id)))


def residents_of_homes(session: Session, home_ids: set[int]) -> dict[int, list[int]]:
    """The elders living in each of many homes, in a stable order, in one query."""
    found: dict[int, list[int]] = {}
    if home_ids:
        stmt = select(HomeResident.home_id, HomeResident.elder_id).where(
            HomeResident.home_id.in_(sorted(home_ids))
        )
        for home_id, elder_id in session.execute(stmt.order_by(HomeResident.elder_id)):
            found.setdefault(home_id, []).append(elder_id)
    return found


def insert_message(session: Session, values: dict[str, Any]) -> int | None:
    """Store a device message in one round trip; None when its (device, message id) exists,
    even if another transaction stored it a moment ago (ON CONFLICT DO NOTHING)."""
    dialect = session.get_bind().dialect.name
    stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(DeviceMessage).values(**values)
    stmt = stmt.on_conflict_do_nothing(index_elements=["device_id", "message_id"])
    return session.execute(stmt.returning(DeviceMessage.id)).scalar()


# PostgreSQL: a batch's rows as one statement of arrays (unnest), small enough for the
# driver to keep prepared, where insertmanyvalues renders thousands of placeholders.
_PG_INSERT_MESSAGES = text(
    "INSERT INTO device_message (device_id, message_id, kind, signal, sent_at, received_at,"
    " channel) SELECT * FROM unnest(CAST(:device_id AS bigint[]), CAST(:message_id AS text[]),"
    " CAST(:kind AS text[]), CAST(:signal AS text[]), CAST(:sent_at AS timestamptz[]),"
    " CAST(:received_at AS timestamptz[]), CAST(:channel AS text[]))"
    " ON CONFLICT (device_id, message_id) DO NOTHING RETURNING device_id, message_id"
)
_PG_INSERT_READINGS = text(
    "INSERT INTO device_reading (device_id, elder_id, metric, value, measured_at)"
    " SELECT * FROM unnest(CAST(:device_id AS bigint[]), CAST(:elder_id AS bigint[]),"
    " CAST(:metric AS text[]), CAST(:value AS double precision[]),"
    " CAST(:measured_at AS timestamptz[]))"
)


def _arrays(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    return {name: [row[name] for row in rows] for name in rows[0]}


def insert_messages(session: Session, rows: list[dict[str, Any]]) -> set[tuple[int, str]]:
    """Store many device messages in one statement; the (device, message id) pairs that were
    new. Those already stored (by anyone, even a moment ago) are left as they are."""
    if not rows:
        return set()
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        returned = session.connection().execute(_PG_INSERT_MESSAGES, _arrays(rows))
    else:
        stmt = sqlite_insert(DeviceMessage).on_conflict_do_nothing(
            index_elements=["device_id", "message_id"]
        )
        returning = stmt.returning(DeviceMessage.device_id, DeviceMessage.message_id)
        returned = session.connection().execute(returning, rows)
    return {(device_id, message_id) for device_id, message_id in returned}


def insert_readings(session: Session, rows: list[dict[str, Any]]) -> None:
    """Store many readings in one statement."""
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.connection().execute(_PG_INSERT_READINGS, _arrays(rows))
    else:
        session.connection().execute(insert(_table(DeviceReading)), rows)


def _table(model: type[Any]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def lock_devices(session: Session, device_ids: list[int]) -> None:
    """Lock devices' rows in id order for the state updates that follow (FOR NO KEY UPDATE,
    as an UPDATE would: rows that refer to them are still inserted meanwhile)."""
    if device_ids:
        stmt = select(Device.id).where(Device.id.in_(device_ids)).order_by(Device.id)
        session.execute(stmt.with_for_update(key_share=True))


def set_online_many(session: Session, device_ids: set[int]) -> set[int]:
    """Mark devices online; the ids of those that were not (one process wins a race)."""
    if not device_ids:
        return set()
    stmt = (
        update(Device)
        .where(Device.id.in_(sorted(device_ids)), Device.online.is_(False))
        .values(online=True)
        .returning(Device.id)
        .execution_options(synchronize_session=False)
    )
    return set(session.scalars(stmt))


def touch_many(session: Session, values: dict[int, dict[str, Any]]) -> None:
    """`touch` for many devices (their rows locked first, `lock_devices`): one UPDATE of
    those that get the same values (most often only the time they were seen), one
    executemany per set of columns for the others."""
    same: dict[tuple[tuple[str, Any], ...], list[int]] = {}
    for device_id in sorted(values):
        same.setdefault(tuple(sorted(values[device_id].items())), []).append(device_id)
    table = _table(Device)
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for pairs, ids in same.items():
        if len(ids) > 1:
            stmt = update(table).where(table.c.id.in_(ids)).values(dict(pairs))
            session.connection().execute(stmt)
            continue
        row = {"b_id": ids[0]} | {f"v_{column}": value for column, value in pairs}
        groups.setdefault(tuple(column for column, _ in pairs), []).append(row)
    for columns, batch in groups.items():
        stmt = (
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values({c: bindparam(f"v_{c}") for c in columns})
        )
        session.connection().execute(stmt, batch)


def set_online(session: Session, device_id: int) -> bool:
    """Mark the device online; True only if it was not (one process wins a race)."""
    stmt = (
        update(Device)
        .where(Device.id == device_id, Device.online.is_(False))
        .values(online=True)
        .returning(Device.id)
        .execution_options(synchronize_session=False)
    )
    return session.execute(stmt).first() is not None


def set_battery_low(session: Session, device_id: int, battery_pct: int, low: int) -> bool:
    """Store a battery under `low`; True only if it was not already under it (told once)."""
    stmt = (
        update(Device)
        .where(
            Device.id == device_id,
            or_(Device.battery_pct.is_(None), Device.battery_pct >= low),
        )
        .values(battery_pct=battery_pct)
        .returning(Device.id)
        .execution_options(synchronize_session=False)
    )
    return session.execute(stmt).first() is not None


def touch(session: Session, device_id: int, values: dict[str, Any]) -> None:
    """Write the device's last-known state without bumping its edit version (pages use it)."""
    stmt = (
        update(Device)
        .where(Device.id == device_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.execute(stmt)


def delivery_seen(session: Session, vendor: str, delivery_id: str) -> bool:
    """Whether a vendor's webhook delivery was already taken."""
    stmt = select(VendorDelivery.id).where(
        VendorDelivery.vendor == vendor, VendorDelivery.delivery_id == delivery_id
    )
    return session.scalar(stmt) is not None


def claim_delivery(session: Session, vendor: str, delivery_id: str, now: datetime) -> bool:
    """Record a signed delivery in the caller's transaction; False when any process took it."""
    try:
        with session.begin_nested():
            session.add(VendorDelivery(vendor=vendor, delivery_id=delivery_id, received_at=now))
    except IntegrityError:
        return False
    return True


def forget_deliveries(session: Session, before: datetime) -> int:
    """Delete delivery ids older than the signature window can replay."""
    stmt = delete(VendorDelivery).where(VendorDelivery.received_at < before)
    result: CursorResult[Any] = session.execute(stmt)  # type: ignore[assignment]
    return result.rowcount or 0


@dataclass(frozen=True)
class ReasonCount:
    """How many messages were refused for one reason (or for one device)."""

    key: str
    count: int
    last_at: datetime


@dataclass(frozen=True)
class DeviceCount:
    """How many messages one claimed identity had refused, and its device when known."""

    identity: str
    device_id: int | None
    count: int
    last_at: datetime


def readable_dead_letters(subject: Subject) -> ColumnElement[bool]:
    """Dead letters the subject may see: all district-wide; else those of its area's devices.

    A message from an unknown identity belongs to no area: district staff see it alone.
    """
    return subject.scope.where(
        street=lambda street_id: DeadLetter.device_id.in_(
            select(Device.id).where(Device.street_id == street_id)
        ),
        community=lambda community_id: DeadLetter.device_id.in_(
            select(Device.id).where(Device.community_id == community_id)
        ),
    )


def counts_by_reason(session: Session, subject: Subject, since: datetime) -> list[ReasonCount]:
    """Refused messages per reason since a time, the most frequent first."""
    total = func.sum(DeadLetter.count)
    stmt = (
        select(DeadLetter.reason, total, func.max(DeadLetter.received_at))
        .where(readable_dead_letters(subject), DeadLetter.received_at >= since)
        .group_by(DeadLetter.reason)
        .order_by(total.desc(), DeadLetter.reason)
    )
    return [ReasonCount(r, int(n), at) for r, n, at in session.execute(stmt)]


def counts_by_device(
    session: Session, subject: Subject, since: datetime, limit: int = 50
) -> list[DeviceCount]:
    """Refused messages per claimed identity since a time, the most frequent first."""
    total = func.sum(DeadLetter.count)
    identity = func.coalesce(DeadLetter.identity, "")
    stmt = (
        select(identity, func.max(DeadLetter.device_id), total, func.max(DeadLetter.received_at))
        .where(readable_dead_letters(subject), DeadLetter.received_at >= since)
        .group_by(identity)
        .order_by(total.desc(), identity)
        .limit(limit)
    )
    return [DeviceCount(i, d, int(n), at) for i, d, n, at in session.execute(stmt)]


def recent_dead_letters(
    session: Session,
    subject: Subject,
    since: datetime,
    *,
    reason: str | None = None,
    limit: int = 100,
) -> list[DeadLetter]:
    """The latest refused messages, optionally of one reason."""
    stmt = select(DeadLetter).where(readable_dead_letters(subject), DeadLetter.received_at >= since)
    if reason:
        stmt = stmt.where(DeadLetter.reason == reason)
    return list(session.scalars(stmt.order_by(DeadLetter.received_at.desc()).limit(limit)))


def ensure_reading_partitions(session: Session, months: list[tuple[datetime, datetime]]) -> int:
    """Create the monthly partitions of device_reading that are missing (PostgreSQL only).

    A month whose rows went to the default partition meanwhile cannot be attached; it is
    skipped with the default keeping them (logged by the caller).
    """
    if session.get_bind().dialect.name != "postgresql":
        return 0
    created = 0
    for start, end in months:
        name = f"device_reading_{start:%Y_%m}"
        exists = session.execute(text("SELECT to_regclass(:n)"), {"n": name}).scalar()
        if exists is not None:
            continue
        clash = session.execute(
            text(
                "SELECT 1 FROM device_reading_default WHERE measured_at >= :a AND measured_at < :b"
                " LIMIT 1"
            ),
            {"a": start, "b": end},
        ).first()
        if clash is not None:
            continue
        session.execute(
            text(
                f"CREATE TABLE {name} PARTITION OF device_reading FOR VALUES FROM "
                f"('{start.isoformat()}') TO ('{end.isoformat()}')"
            )
        )
        created += 1
    return created


@dataclass(frozen=True)
class Named:
    """A device and one of its identities (what the simulator speaks as)."""

    device_id: int
    kind: str
    scheme: str
    identity: str


def fitted_house_devices(session: Session, limit: int) -> list[Named]:
    """Installed devices speaking the house scheme, each with its first identity."""
    first = (
        select(DeviceIdentity.device_id, func.min(DeviceIdentity.id).label("identity_id"))
        .group_by(DeviceIdentity.device_id)
        .subquery()
    )
    stmt = (
        select(Device.id, Device.kind, DeviceIdentity.scheme, DeviceIdentity.value)
        .join(first, first.c.device_id == Device.id)
        .join(DeviceIdentity, DeviceIdentity.id == first.c.identity_id)
        .where(Device.status == "installed", Device.protocol == "house")
        .order_by(Device.id)
        .limit(limit)
    )
    return [Named(i, k, s, v) for i, k, s, v in session.execute(stmt)]


def set_secret_hash(session: Session, device_id: int, secret_hash: str) -> None:
    """Give a device a new token hash (the simulator's devices get tokens it knows)."""
    touch(session, device_id, {"secret_hash": secret_hash})
