"""One message, one transaction: parse, authenticate, deduplicate, store, commit, then ack.

Every entry point (MQTT, the device HTTP endpoint, vendor webhooks) returns an `Outcome`
and never raises for bad input: a refused message is written to the dead-letter table in a
transaction of its own, after the message's own transaction was rolled back, so nothing of
it is half-kept. Only when even that fails (the database is away) is `ack` False: the MQTT
adapter then leaves the message unacknowledged for the broker to deliver again.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from yiyang.alarms import intake
from yiyang.config import Settings
from yiyang.db import unit_of_work
from yiyang.devices import ingestion
from yiyang.devices import message_repository as repo
from yiyang.devices.ingestion import Channel, Limits, Rejected, Status
from yiyang.devices.message_models import DeadLetter, VendorDelivery
from yiyang.devices.models import Device
from yiyang.ingest import batch
from yiyang.ingest.limits import FloodCounter, TokenBuckets
from yiyang.kit.clock import Clock
from yiyang.protocols import house_json, registry, signing
from yiyang.protocols.message import DeviceMessage, ParseError
from yiyang.protocols.reasons import Reason
from yiyang.protocols.vocabulary import IdentityScheme

log = logging.getLogger(__name__)

RAW_LIMIT = 4096  # characters of a refused payload kept
FLUSH_EVERY_S = 5.0


@dataclass(frozen=True)
class Outcome:
    """What became of one payload (a vendor batch has one outcome per event in `parts`)."""

    status: str  # ingestion.Status, "rejected" or "rate_limited"
    reason: str | None = None
    detail: str | None = None
    alarm_ids: tuple[int, ...] = ()
    ack: bool = True
    parts: tuple[Outcome, ...] = ()

    @property
    def accepted(self) -> bool:
        """Taken (stored, a duplicate or a heartbeat)."""
        return self.status in {s.value for s in Status}


def _text(value: str, limit: int) -> str:
    """A text PostgreSQL takes (no NUL), cut to the column's length."""
    return value.replace("\x00", "\\x00")[:limit]


def _cut(raw: bytes) -> str:
    return _text(raw.decode("utf-8", errors="replace"), RAW_LIMIT)


@dataclass
class Gateway:
    """The ingest pipeline of one process, shared by its threads."""

    factory: sessionmaker[Session]
    settings: Settings
    clock: Clock
    buckets: TokenBuckets = field(init=False)  # `/up` and HTTP: this process's share
    urgent_buckets: TokenBuckets = field(init=False)  # `/alarm`: every process sees it all
    floods: FloodCounter = field(init=False, default_factory=FloodCounter)
    limits: Limits = field(init=False)
    _next_flush: float = field(init=False, default=0.0)
    _flush_lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.buckets = TokenBuckets(
            self.settings.ingest_rate_per_minute / 60, self.settings.ingest_burst
        )
        self.urgent_buckets = TokenBuckets(self.buckets.rate, self.buckets.burst)
        self.limits = Limits.of(self.settings)

    def share_among(self, processes: int) -> None:
        """Allow each device one `processes`-th of its rate and burst on the shared channel
        (the broker splits it between the group's processes; see members.py)."""
        self.buckets.resize(
            self.settings.ingest_rate_per_minute / 60 / processes,
            max(1, math.ceil(self.settings.ingest_burst / processes)),
        )

    # -- entry points --------------------------------------------------------------------

    def mqtt(self, topic: str, raw: bytes) -> Outcome:
        """A message from the broker; the adapter acknowledges it when `ack` is True."""
        now = self.clock()
        first = self._admit(0, topic, raw, now)
        if isinstance(first, Outcome):
            return first
        return self._mqtt_one(first, now)

    def mqtt_batch(self, items: Sequence[tuple[str, bytes]]) -> list[Outcome]:
        """Many messages from the broker in one transaction (see `batch`); one outcome each,
        in order. If the batch's transaction fails, its messages are taken one by one, so a
        bad message is dead-lettered with its reason and never costs the others."""
        now = self.clock()
        outcomes: dict[int, Outcome] = {}
        pending: list[batch.Pending] = []
        for index, (topic, raw) in enumerate(items):
            admitted = self._admit(index, topic, raw, now)
            if isinstance(admitted, Outcome):
                outcomes[index] = admitted
            else:
                pending.append(admitted)
        if pending:
            self.flush_floods()
            try:
                with unit_of_work(self.factory) as session:
                    results = batch.store(
                        session, pending, now=now, limits=self.limits,
                        check_tokens=not self.settings.mqtt_broker_auth,
                    )  # fmt: skip
            except Exception:
                log.warning("a batch of %d failed; one by one", len(pending), exc_info=True)
                for p in pending:
                    outcomes[p.index] = self._mqtt_one(p, now)
            else:
                for p in pending:
                    result = results[p.index]
                    outcomes[p.index] = (
                        Outcome(result.status, alarm_ids=result.alarm_ids)
                        if isinstance(result, batch.Taken)
                        else self.dead(
                            Channel.MQTT, p.topic, p.key, result.device_id, result.reason,
                            result.detail, p.raw, now,
                        )
                    )  # fmt: skip
        return [outcomes[i] for i in range(len(items))]

    def _admit(self, index: int, topic: str, raw: bytes, now: datetime) -> batch.Pending | Outcome:
        """The topic's identity and the device's rate; an outcome when the message stops here."""
        try:
            scheme, identity = house_json.identity_of_topic(topic)
        except ParseError as exc:
            return self.dead(Channel.MQTT, topic, None, None, exc.reason, exc.detail, raw, now)
        key = f"{scheme}:{identity}"
        buckets = self.urgent_buckets if house_json.on_urgent_channel(topic) else self.buckets
        if not self._allow(key, Channel.MQTT, topic, raw, now, buckets):
            return Outcome("rate_limited", Reason.RATE_LIMITED, "over the device's rate")
        return batch.Pending(index, topic, raw, scheme, identity, key)

    def _mqtt_one(self, p: batch.Pending, now: datetime) -> Outcome:
        def work(session: Session) -> Outcome:
            device = ingestion.find_device(session, p.scheme, p.identity)
            parser = registry.parser_for(device.protocol)
            if parser is None:
                raise Rejected(
                    Reason.UNKNOWN_PROTOCOL, f"no parser for {device.protocol!r}", device.id
                )
            messages = _parsed(parser, p.raw, p.scheme, p.identity, device.id)
            outcomes = []
            for message in messages:
                if not self.settings.mqtt_broker_auth:
                    ingestion.check_token(device, message.token)
                outcomes.append(self._take(session, device, message, Channel.MQTT, now))
            return _combined(outcomes)

        return self._run(work, Channel.MQTT, p.topic, p.key, p.raw, now)

    def http(self, raw: bytes, token: str | None, ref: str = "/api/v1/ingest/messages") -> Outcome:
        """A house-scheme message a device posted with its token as Bearer."""
        now = self.clock()
        try:
            (message,) = house_json.parse(raw)
        except ParseError as exc:
            return self.dead(Channel.HTTP, ref, None, None, exc.reason, exc.detail, raw, now)
        key = f"{message.scheme}:{message.identity}"
        if not self._allow(key, Channel.HTTP, ref, raw, now):
            return Outcome("rate_limited", Reason.RATE_LIMITED, "over the device's rate")

        def work(session: Session) -> Outcome:
            device = ingestion.find_device(session, message.scheme, message.identity)
            if device.protocol != registry.HOUSE:
                raise Rejected(
                    Reason.WRONG_PROTOCOL, f"the device speaks {device.protocol!r}", device.id
                )
            ingestion.check_token(device, token)
            return self._take(session, device, message, Channel.HTTP, now)

        return self._run(work, Channel.HTTP, ref, key, raw, now)

    def vendor(self, vendor: str, raw: bytes, ref: str) -> Outcome:
        """A vendor cloud's batch whose signature the caller verified: each event on its own."""
        now = self.clock()
        parser = registry.parser_for(vendor)
        if parser is None or vendor == registry.HOUSE:
            return self.dead(
                Channel.WEBHOOK, ref, None, None, Reason.UNKNOWN_VENDOR, "no such vendor", raw, now
            )
        try:
            messages = parser(raw, None, None)
        except ParseError as exc:
            return self.dead(Channel.WEBHOOK, ref, None, None, exc.reason, exc.detail, raw, now)
        parts = []
        for message in messages:
            key = f"{message.scheme}:{message.identity}"
            if not self._allow(key, Channel.WEBHOOK, ref, raw, now):
                parts.append(Outcome("rate_limited", Reason.RATE_LIMITED, "over the device's rate"))
                continue

            def work(session: Session, message: DeviceMessage = message) -> Outcome:
                device = ingestion.find_device(session, message.scheme, message.identity)
                if device.protocol != vendor:
                    raise Rejected(
                        Reason.WRONG_PROTOCOL, f"the device speaks {device.protocol!r}", device.id
                    )
                return self._take(session, device, message, Channel.WEBHOOK, now)

            parts.append(self._run(work, Channel.WEBHOOK, ref, key, raw, now))
        taken = [p for p in parts if p.accepted]
        status = "accepted" if len(taken) == len(parts) else ("partial" if taken else "rejected")
        return Outcome(status, parts=tuple(parts), ack=all(p.ack for p in parts))

    def webhook(
        self,
        vendor: str,
        raw: bytes,
        *,
        timestamp: str | None,
        signature: str | None,
        delivery_id: str | None,
    ) -> Outcome:
        """A vendor cloud's webhook: signature, time window and replay checked, then its events."""
        now = self.clock()
        ref = f"vendor:{vendor}"[:256]
        secret = self.settings.vendor_secrets.get(vendor)
        if not secret or registry.parser_for(vendor) is None:
            detail = "the platform has no signing secret for this vendor"
            return self.dead(
                Channel.WEBHOOK, ref, None, None, Reason.UNKNOWN_VENDOR, detail, raw, now
            )
        window = self.settings.vendor_signature_window_seconds
        problem = signing.check(
            secret, timestamp, signature, raw, now_s=now.timestamp(), window_s=window
        )
        if problem is not None:
            return self.dead(Channel.WEBHOOK, ref, None, None, problem[0], problem[1], raw, now)
        if not delivery_id or len(delivery_id) > 96:
            detail = "the delivery header is missing or longer than 96 characters"
            return self.dead(Channel.WEBHOOK, ref, None, None, Reason.INVALID, detail, raw, now)
        with unit_of_work(self.factory) as session:
            seen = repo.delivery_seen(session, vendor, delivery_id)
        if seen:
            detail = f"delivery {delivery_id} was received before"
            return self.dead(Channel.WEBHOOK, ref, None, None, Reason.REPLAY, detail, raw, now)
        outcome = self.vendor(vendor, raw, ref)
        if outcome.ack:  # taken (or dead-lettered) in full: a second delivery is a replay
            try:
                with unit_of_work(self.factory) as session:
                    session.add(
                        VendorDelivery(vendor=vendor, delivery_id=delivery_id, received_at=now)
                    )
            except IntegrityError:
                pass  # the same delivery came twice at once; its events were deduplicated
        return outcome

    # -- the steps -------------------------------------------------------------------------

    def _take(
        self,
        session: Session,
        device: Device,
        message: DeviceMessage,
        channel: Channel,
        now: datetime,
    ) -> Outcome:
        taken = ingestion.accept(
            session, device, message, channel=channel, now=now, limits=self.limits
        )
        alarm_ids: tuple[int, ...] = ()
        # A heartbeat too: it brings a device back online and tells its battery.
        if taken.status in (Status.STORED, Status.SEEN):
            residents = repo.resident_ids(session, device.home_id)
            alarms = intake.take(session, device, message, resident_ids=residents, now=now)
            alarm_ids = tuple(a.id for a in alarms)
        return Outcome(str(taken.status), alarm_ids=alarm_ids)

    def _run(
        self,
        work: Callable[[Session], Outcome],
        channel: Channel,
        ref: str,
        identity: str,
        raw: bytes,
        now: datetime,
    ) -> Outcome:
        """The message's transaction; a refusal or a failure goes to the dead letters after."""
        self.flush_floods()
        try:
            with unit_of_work(self.factory) as session:
                return work(session)
        except Rejected as exc:
            return self.dead(
                channel, ref, identity, exc.device_id, exc.reason, exc.detail, raw, now
            )
        except Exception as exc:
            log.exception("storing a device message failed (%s %s)", channel, ref)
            detail = f"{type(exc).__name__}: {str(exc)[:200]}"
            return self.dead(channel, ref, identity, None, Reason.FAILED, detail, raw, now)

    def dead(
        self,
        channel: Channel,
        ref: str,
        identity: str | None,
        device_id: int | None,
        reason: str,
        detail: str,
        raw: bytes,
        now: datetime,
        count: int = 1,
    ) -> Outcome:
        """Write a dead letter in its own transaction; `ack` False if even that failed."""
        try:
            with unit_of_work(self.factory) as session:
                session.add(
                    DeadLetter(
                        received_at=now,
                        channel=str(channel),
                        ref=_text(ref, 256),
                        identity=None if identity is None else _text(identity, 96),
                        device_id=device_id,
                        reason=str(reason),
                        detail=_text(detail, 500),
                        raw=_cut(raw),
                        count=count,
                    )
                )
        except Exception:
            log.exception("a dead letter could not be written (%s: %s)", reason, detail)
            return Outcome("rejected", str(reason), detail, ack=False)
        log.info("dead letter %s from %s %s: %s", reason, channel, identity or ref, detail)
        return Outcome("rejected", str(reason), detail)

    # -- rate limit ------------------------------------------------------------------------

    def _allow(
        self,
        key: str,
        channel: Channel,
        ref: str,
        raw: bytes,
        now: datetime,
        buckets: TokenBuckets | None = None,
    ) -> bool:
        stamp = now.timestamp()
        if (buckets or self.buckets).allow(key, stamp):
            return True
        self.floods.drop(key, channel=str(channel), ref=ref, raw=raw, now=stamp)
        self.flush_floods()
        return False

    def flush_floods(self, *, all_: bool = False) -> int:
        """Write one `rate_limited` dead letter per flooding device and ended window."""
        now = self.clock()
        stamp = now.timestamp()
        if not all_ and stamp < self._next_flush:
            return 0
        with self._flush_lock:
            self._next_flush = stamp + FLUSH_EVERY_S
            due = self.floods.due(stamp, all_=all_)
        for key, flood in due:
            detail = f"{flood.count} messages over the limit in {self.floods.window_s:g} s"
            self.dead(
                Channel(flood.channel),
                flood.ref,
                key,
                None,
                Reason.RATE_LIMITED,
                detail,
                flood.sample,
                now,
                count=flood.count,
            )
        return len(due)


def _parsed(
    parser: registry.Parser, raw: bytes, scheme: IdentityScheme, identity: str, device_id: int
) -> list[DeviceMessage]:
    try:
        return parser(raw, scheme, identity)
    except ParseError as exc:
        raise Rejected(Reason(exc.reason), exc.detail, device_id) from None


def _combined(outcomes: list[Outcome]) -> Outcome:
    if len(outcomes) == 1:
        return outcomes[0]
    alarm_ids = tuple(a for o in outcomes for a in o.alarm_ids)
    return Outcome(Status.STORED.value, alarm_ids=alarm_ids, parts=tuple(outcomes))
