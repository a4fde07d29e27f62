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

from yiyang.alarms import intake, rule_repository
from yiyang.alarms.rule_repository import StateKey
from yiyang.alarms.rules import rule_for
from yiyang.devices import ingestion
from yiyang.devices import message_repository as repo
from yiyang.devices.ingestion import Channel, Limits, Rejected, Status
from yiyang.devices.kinds import KINDS, DeviceKind
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
    statuses = ingestion.accept_many(
        session, [(d, m) for _, d, m in flat], channel=Channel.MQTT, now=now, limits=limits
    )
    judged = [
        (d, m) for (_, d, m), s in zip(flat, statuses, strict=True) if s is not Status.DUPLICATE
    ]
    rule_repository.lock_states(session, _state_keys(judged), now=now)
    residents: dict[int, list[int]] = {}
    alarms: dict[int, list[object]] = {}
    status_of: dict[int, list[Status]] = {}
    for (p, device, message), status in zip(flat, statuses, strict=True):
        status_of.setdefault(p.index, []).append(status)
        if status is Status.DUPLICATE:
            continue
        home = device.home_id
        if home is not None and home not in residents:
            residents[home] = repo.resident_ids(session, home)
        raised = intake.take(
            session, device, message, resident_ids=residents.get(home, []) if home else [], now=now
        )
        alarms.setdefault(p.index, []).extend(raised)
    session.flush()
    rule_repository.forget_states(session)
    for index, these in status_of.items():
        ids = tuple(a.id for a in alarms.get(index, []))  # type: ignore[attr-defined]
        status = these[0] if len(these) == 1 else Status.STORED
        results[index] = Taken(str(status), ids)
    return results


def _parse(device: Device, p: Pending) -> list[DeviceMessage]:
    parser = registry.parser_for(device.protocol)
    if parser is None:
        raise Rejected(Reason.UNKNOWN_PROTOCOL, f"no parser for {device.protocol!r}", device.id)
    try:
        return parser(p.raw, p.scheme, p.identity)
    except ParseError as exc:
        raise Rejected(Reason(exc.reason), exc.detail, device.id) from None


def _state_keys(judged: list[tuple[Device, DeviceMessage]]) -> list[StateKey]:
    """The rule states the intake of these messages reads: made here when it surely would."""
    keys = []
    for device, message in judged:
        owner, kind = f"device:{device.id}", DeviceKind(device.kind)
        keys.append(StateKey(owner, "offline", device.id, device.elder_id, create=True))
        if message.battery_pct is not None and KINDS[kind].battery:
            keys.append(StateKey(owner, "battery", device.id, device.elder_id, create=True))
        for metric in message.readings:
            watched = rule_for(kind, metric, None) is not None
            keys.append(StateKey(owner, str(metric), device.id, device.elder_id, create=watched))
    return keys
