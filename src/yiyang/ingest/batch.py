"""A batch of MQTT messages in one transaction, set-based; the adapter acks them after commit.

`store` is the body of the batch's transaction: one query for the devices of every message,
the checks that need no database (parse, token, time) per message, one insert of the new
messages with their dedup (`ingestion.accept_many`), one lock of the rule states the alarm
intake will read (`rule_repository.lock_states`), then the intake of each message, which
for a normal reading only updates its rule's state. A refused message is returned as its
`Rejected` (nothing of it was written): the gateway dead-letters it after the commit. If the
transaction fails, the gateway takes the batch again one message at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from yiyang.alarms import intake
from yiyang.devices import ingestion
from yiyang.devices import message_repository as repo
from yiyang.devices.ingestion import Channel, Limits, Rejected, Status
from yiyang.devices.models import Device
from yiyang.protocols import registry
from yiyang.protocols.message import DeviceMessage, ParseError
from yiyang.protocols.reasons import Reason
from yiyang.protocols.vocabulary import IdentityScheme


@dataclass(frozen=True)
class Pending:
    """A message of the batch that passed the topic and rate checks."""

    index: int  # its place in the batch
    topic: str
    raw: bytes
    scheme: IdentityScheme
    identity: str
    key: str  # "scheme:identity"


@dataclass(frozen=True)
class Taken:
    """What became of one pending message that was taken: its status and its alarms."""

    status: str
    alarm_ids: tuple[int, ...] = ()


def store(
    session: Session,
    pending: list[Pending],
    *,
    now: datetime,
    limits: Limits,
    check_tokens: bool,
) -> dict[int, Taken | Rejected]:
    """Take the batch in the caller's transaction; by index, what became of each message."""
    found = repo.devices_by_identities(session, {(p.scheme, p.identity) for p in pending})
    results: dict[int, Taken | Rejected] = {}
    checked: list[tuple[Pending, Device, list[DeviceMessage]]] = []
    for p in pending:
        try:
            device = ingestion.device_of(found.get((p.scheme, p.identity)), p.scheme, p.identity)
            messages = _parse(device, p)
            for message in messages:
                if check_tokens:
                    ingestion.check_token(device, message.token)
                ingestion.check_time(message, now, limits, device.id)
        except Rejected as exc:
            results[p.index] = exc
            continue
        checked.append((p, device, messages))
    flat = [(p, device, m) for p, device, messages in checked for m in messages]
    statuses, state = ingestion.accept_many(
        session, [(d, m) for _, d, m in flat], channel=Channel.MQTT, now=now, limits=limits
    )
    arrivals: list[intake.Arrival] = []
    homes = {d.home_id for (_, d, _), st in zip(flat, statuses, strict=True)
             if st is not Status.DUPLICATE and d.home_id is not None}  # fmt: skip
    residents = repo.residents_of_homes(session, homes)
    status_of: dict[int, list[Status]] = {}
    taken_at: list[int] = []  # the pending index of each arrival
    for (p, device, message), status in zip(flat, statuses, strict=True):
        status_of.setdefault(p.index, []).append(status)
        if status is not Status.DUPLICATE:
            lives = residents.get(device.home_id, []) if device.home_id is not None else []
            arrivals.append(intake.Arrival(device, message, lives))
            taken_at.append(p.index)
    alarms: dict[int, list[int]] = {}
    for index, raised in zip(taken_at, intake.take_all(session, arrivals, now=now), strict=True):
        alarms.setdefault(index, []).extend(a.id for a in raised)
    ingestion.write_state(session, state, now=now, limits=limits)
    for index, these in status_of.items():
        status = these[0] if len(these) == 1 else Status.STORED
        results[index] = Taken(str(status), tuple(alarms.get(index, [])))
    return results


def _parse(device: Device, p: Pending) -> list[DeviceMessage]:
    parser = registry.parser_for(device.protocol)
    if parser is None:
        raise Rejected(Reason.UNKNOWN_PROTOCOL, f"no parser for {device.protocol!r}", device.id)
    try:
        return parser(p.raw, p.scheme, p.identity)
    except ParseError as exc:
        raise Rejected(Reason(exc.reason), exc.detail, device.id) from None
