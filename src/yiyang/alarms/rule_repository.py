"""Every query of the alarm rules: stored rule state, elders' thresholds, the sweeps' finds."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, exists, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from yiyang.alarms.models import Alarm
from yiyang.alarms.rule_models import AlarmThreshold, RuleState
from yiyang.devices.kinds import DeviceStatus
from yiyang.devices.message_repository import pairs_in
from yiyang.devices.models import Device, HomeResident
from yiyang.registry.elders.models import Elder

# The columns of a rule state as a plain row (rule_states.StateRow), in this order.
STATE_COLUMNS = (
    "id", "owner", "rule_key", "device_id", "elder_id", "consecutive", "last_value",
    "last_reading_at", "fired", "fired_type", "level", "silence_until", "pending_since",
    "last_event_at", "reason", "data", "updated_at",
)  # fmt: skip
_STATE = cast(Table, RuleState.__table__)
_ROW = [_STATE.c[name] for name in STATE_COLUMNS]


def lock_state_rows(session: Session, keys: list[tuple[str, str]]) -> list[tuple[Any, ...]]:
    """The rule states of these (owner, rule key) pairs that exist, locked in key order."""
    stmt = (
        select(*_ROW)
        .where(pairs_in(session, _STATE.c.owner, _STATE.c.rule_key, keys))
        .order_by(_STATE.c.owner, _STATE.c.rule_key)
        .with_for_update()
    )
    return [tuple(row) for row in session.connection().execute(stmt)]


def insert_state_rows(
    session: Session, keys: list[tuple[str, str, int | None, int | None]], *, now: datetime
) -> list[tuple[Any, ...]]:
    """Make empty rule states for (owner, rule key, device, elder), in the given order; those
    another process made meanwhile are left to it (not returned)."""
    rows: list[dict[str, Any]] = [
        {"owner": o, "rule_key": k, "device_id": d, "elder_id": e, "consecutive": 0,
         "fired": False, "data": {}, "updated_at": now}
        for o, k, d, e in keys
    ]  # fmt: skip
    dialect = session.get_bind().dialect.name
    insert_ = (pg_insert if dialect == "postgresql" else sqlite_insert)(_STATE)
    stmt = insert_.on_conflict_do_nothing(index_elements=["owner", "rule_key"]).returning(*_ROW)
    return [tuple(row) for row in session.connection().execute(stmt, rows)]


_UPDATE_STATE = (
    update(_STATE)
    .where(_STATE.c.id == bindparam("b_id"))
    .values({name: bindparam(f"v_{name}") for name in STATE_COLUMNS[3:]})
)
# PostgreSQL: one statement for the whole batch, its columns as arrays (unnest), where an
# executemany is a statement a row on the server.
_PG_TYPES = (
    "bigint", None, None, "bigint", "bigint", "integer", "double precision", "timestamptz",
    "boolean", "text", "integer", "timestamptz", "timestamptz", "timestamptz", "text", "jsonb",
    "timestamptz",
)  # fmt: skip
_PG_COLUMNS = [(n, t) for n, t in zip(STATE_COLUMNS, _PG_TYPES, strict=True) if t is not None]
_PG_UPDATE_STATE = text(
    "UPDATE rule_state AS r SET "
    + ", ".join(f"{n} = v.{n}" for n, _ in _PG_COLUMNS[1:])
    + " FROM unnest("
    + ", ".join(f"CAST(:{n} AS {t}[])" for n, t in _PG_COLUMNS)
    + ") AS v("
    + ", ".join(n for n, _ in _PG_COLUMNS)
    + ") WHERE r.id = v.id"
)


def update_state_rows(session: Session, rows: list[tuple[Any, ...]]) -> None:
    """Write back changed rule states (plain rows in STATE_COLUMNS order) in one statement
    (PostgreSQL) or one executemany."""
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        at = {name: i for i, name in enumerate(STATE_COLUMNS)}
        arrays = {n: [row[at[n]] for row in rows] for n, _ in _PG_COLUMNS}
        arrays["data"] = [json.dumps(d) for d in arrays["data"]]
        session.connection().execute(_PG_UPDATE_STATE, arrays)
        return
    names = [f"v_{name}" for name in STATE_COLUMNS[3:]]
    params = [{"b_id": row[0]} | dict(zip(names, row[3:], strict=True)) for row in rows]
    session.connection().execute(_UPDATE_STATE, params)


def state(
    session: Session,
    owner: str,
    rule_key: str,
    *,
    now: datetime,
    device_id: int | None = None,
    elder_id: int | None = None,
) -> RuleState:
    """The rule's stored memory for this owner as an ORM object, locked for update; made
    empty the first time (the sweeps' and timers' way; an intake reads plain rows)."""
    stmt = (
        select(RuleState)
        .where(RuleState.owner == owner, RuleState.rule_key == rule_key)
        .with_for_update()
    )
    found = session.scalar(stmt)
    if found is not None:
        return found
    row = RuleState(
        owner=owner,
        rule_key=rule_key,
        device_id=device_id,
        elder_id=elder_id,
        consecutive=0,
        fired=False,
        data={},
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # another process made it at the same moment
        found = session.scalar(stmt)
        assert found is not None
        return found
    return row


def thresholds_of(session: Session, elder_id: int) -> list[AlarmThreshold]:
    """An elder's own thresholds, by metric."""
    return list(
        session.scalars(
            select(AlarmThreshold)
            .where(AlarmThreshold.elder_id == elder_id)
            .order_by(AlarmThreshold.metric)
        )
    )


def thresholds_of_elders(session: Session, elder_ids: set[int]) -> list[AlarmThreshold]:
    """The own thresholds of many elders (an intake's batch reads them once)."""
    if not elder_ids:
        return []
    stmt = select(AlarmThreshold).where(AlarmThreshold.elder_id.in_(sorted(elder_ids)))
    return list(session.scalars(stmt))


def threshold(session: Session, elder_id: int, metric: str) -> AlarmThreshold | None:
    """An elder's own threshold for one metric, or None."""
    return session.scalar(
        select(AlarmThreshold).where(
            AlarmThreshold.elder_id == elder_id, AlarmThreshold.metric == metric
        )
    )


def open_alarms_of_device(session: Session, device_id: int) -> list[Alarm]:
    """The device's open (not closed) alarms, locked for update."""
    return list(
        session.scalars(
            select(Alarm)
            .where(Alarm.device_id == device_id, Alarm.closed_at.is_(None))
            .order_by(Alarm.id)
            .with_for_update()
        )
    )


def resident_ids(session: Session, home_id: int | None) -> list[int]:
    """The elders living in a home."""
    if home_id is None:
        return []
    return list(
        session.scalars(
            select(HomeResident.elder_id)
            .where(HomeResident.home_id == home_id)
            .order_by(HomeResident.elder_id)
        )
    )


def elders(session: Session, ids: Sequence[int]) -> list[Elder]:
    """Elders by id (for their time away and address)."""
    if not ids:
        return []
    return list(session.scalars(select(Elder).where(Elder.id.in_(ids)).order_by(Elder.id)))


def device(session: Session, device_id: int) -> Device | None:
    """A device by id, locked for update."""
    return session.scalar(select(Device).where(Device.id == device_id).with_for_update())


def offline_candidates(session: Session, seen_before: datetime, limit: int) -> list[Device]:
    """Installed devices marked online whose last message is older than `seen_before`
    (the shortest heartbeat's offline limit; each is then checked against its own period)."""
    return list(
        session.scalars(
            select(Device)
            .where(
                Device.online.is_(True),
                Device.status == DeviceStatus.INSTALLED,
                Device.last_seen_at < seen_before,
            )
            .order_by(Device.last_seen_at, Device.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )


def quiet_states(
    session: Session, rule_key: str, before: datetime, now: datetime, limit: int
) -> list[tuple[RuleState, Device]]:
    """Not-yet-fired states of installed devices with nothing (motion, door, water use)
    since before `before`, with their device; those put off until later (an elder away, a
    sibling sensor active) wait, so they never crowd the others out of a batch."""
    rows = session.execute(
        select(RuleState, Device)
        .join(Device, Device.id == RuleState.device_id)
        .where(
            RuleState.rule_key == rule_key,
            RuleState.fired.is_(False),
            RuleState.last_event_at < before,
            or_(RuleState.silence_until.is_(None), RuleState.silence_until <= now),
            Device.status == DeviceStatus.INSTALLED,
        )
        .order_by(RuleState.last_event_at, RuleState.id)
        .limit(limit)
        .with_for_update(of=RuleState, skip_locked=True)
    ).all()
    return [(s, d) for s, d in rows]


def silent_since_installed(
    session: Session, kind: str, rule_key: str, installed_before: datetime, limit: int
) -> list[Device]:
    """Installed devices of a kind that never sent the rule's signal, installed before then."""
    has_state = exists().where(RuleState.device_id == Device.id, RuleState.rule_key == rule_key)
    return list(
        session.scalars(
            select(Device)
            .where(
                Device.kind == kind,
                Device.status == DeviceStatus.INSTALLED,
                Device.installed_at < installed_before,
                ~has_state,
            )
            .order_by(Device.installed_at, Device.id)
            .limit(limit)
        )
    )


def active_sibling(session: Session, device: Device, rule_key: str, since: datetime) -> bool:
    """Whether another installed device of the same elder or home saw activity since then."""
    other = aliased(Device)
    same = (
        other.elder_id == device.elder_id
        if device.elder_id is not None
        else other.home_id == device.home_id
    )
    stmt = select(
        exists().where(
            RuleState.rule_key == rule_key,
            RuleState.last_event_at >= since,
            RuleState.device_id == other.id,
            and_(same, other.id != device.id, other.status == DeviceStatus.INSTALLED),
        )
    )
    return bool(session.scalar(stmt))


def fired_sibling_rows(session: Session, device: Device, rule_key: str) -> list[tuple[Any, ...]]:
    """Fired states of the devices of the same elder or home (to re-arm them together),
    as plain rows, locked."""
    same = (
        Device.elder_id == device.elder_id
        if device.elder_id is not None
        else Device.home_id == device.home_id
    )
    stmt = (
        select(*_ROW)
        .join(Device, Device.id == _STATE.c.device_id)
        .where(_STATE.c.rule_key == rule_key, _STATE.c.fired.is_(True), same)
        .order_by(_STATE.c.owner, _STATE.c.rule_key)
        .with_for_update(of=_STATE)
    )
    return [tuple(row) for row in session.connection().execute(stmt)]
