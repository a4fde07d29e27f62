"""The MQTT side of `yiyang ingest`: a shared subscription, QoS 1, acknowledged after commit.

Why paho-mqtt and not aiomqtt: aiomqtt 2.5 has no application-controlled acknowledgement
(its issue #345 is open; the workaround reaches into its private paho client), so it would
PUBACK a message before we stored it and a crash in between would lose it. paho-mqtt 2
has `manual_ack=True` and `Client.ack(mid, qos)`: the network loop runs on paho's thread,
messages are handed to one processing thread through a queue and acknowledged, in the order
they came (MQTT 5 §4.6), only after their transaction committed (or their dead letter did).
The thread takes what is waiting as a batch (up to BATCH_MAX messages, or what came within
BATCH_WAIT_S of the first) in one transaction (`Gateway.mqtt_batch`), then acks all of it.

Several processes subscribe to `$share/<group>/yiyang/v1/devices/+/up` and the broker splits
the messages between them. Each keeps a persistent session (clean start off, an expiry, a
client id stable over the process's restarts), so a message in flight when a process dies is
delivered again when it reconnects; the dedup on the message id makes that harmless. paho
reconnects with back-off (1 s doubling to 30 s).

The urgent channel: every process also holds an ordinary (not shared) subscription to
`yiyang/v1/devices/+/alarm`, where devices publish SOS, falls, smoke and gas. Mosquitto 2.0
restores a persistent session's ordinary subscriptions after its own restart (persistence on)
but not its shared ones, so between a broker restart and our subscribing again it would
acknowledge `/up` messages to the devices and deliver them to no one; `/alarm` messages are
queued in our sessions meanwhile. Every process takes every alarm message; the dedup on the
message id (INSERT … ON CONFLICT DO NOTHING) stores each once, and only the process whose
insert stored it raises the alarm.

An alarm message does not wait behind the batch of readings being stored: a second thread,
the urgent lane, stores what came on `/alarm` at once in a transaction of its own, and the
processing thread acknowledges it in its turn (PUBACKs stay in the order the messages came);
if the lane could not store it, the processing thread takes it like any other.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from yiyang.config import Settings
from yiyang.ingest.members import Membership
from yiyang.ingest.pipeline import Gateway, Outcome
from yiyang.protocols import house_json
from yiyang.protocols.house_json import ALARM_FILTER, TOPIC_FILTER

log = logging.getLogger(__name__)

SESSION_EXPIRY_S = 3600  # the broker keeps an absent process's session (and its messages)
RECEIVE_MAXIMUM = 500  # unacknowledged messages the broker may have in flight to us
BATCH_MAX = 200  # messages taken in one transaction
BATCH_WAIT_S = 0.02  # how long a batch waits for more after its first message
URGENT_WAIT_S = 30.0  # the processing thread waits this long for the urgent lane's outcome


def shared_filter(group: str) -> str:
    """The shared subscription of an ingest group."""
    return f"$share/{group}/{TOPIC_FILTER}"


def subscriptions(group: str) -> list[tuple[str, SubscribeOptions]]:
    """What an ingest process subscribes to: `/up` shared in its group, `/alarm` its own."""
    return [
        (shared_filter(group), SubscribeOptions(qos=1)),
        (ALARM_FILTER, SubscribeOptions(qos=1)),
    ]


@dataclass(eq=False)
class Inbound:
    """A message as it came, and for one on `/alarm` the urgent lane's outcome once stored."""

    message: paho.MQTTMessage
    urgent: bool = False
    outcome: Outcome | None = None
    settled: threading.Event = field(default_factory=threading.Event)

    def settle(self, outcome: Outcome | None) -> None:
        """The urgent lane is done with it (None: it did not get to it)."""
        self.outcome = outcome
        self.settled.set()


@dataclass
class Subscriber:
    """One ingest process's MQTT connection and its processing thread."""

    gateway: Gateway
    settings: Settings
    client_id: str
    group: str = "ingest"
    membership: Membership | None = None  # shares the devices' allowance with the group
    stopping: threading.Event = field(default_factory=threading.Event)
    subscribed: threading.Event = field(default_factory=threading.Event)
    taken: int = 0  # messages processed and acknowledged (for the tests and the bench)
    _inbox: queue.Queue[Inbound] = field(default_factory=queue.Queue)
    _urgent: queue.Queue[Inbound] = field(default_factory=queue.Queue)
    _client: paho.Client | None = None
    _lane: threading.Thread | None = None

    def _on_connect(
        self, client: paho.Client, _u: Any, _f: Any, reason: ReasonCode, _p: Any
    ) -> None:
        if reason.is_failure:
            log.warning("broker refused the connection: %s", reason)
            return
        wanted = subscriptions(self.group)
        log.info("connected to the broker; subscribing to %s", ", ".join(t for t, _ in wanted))
        client.subscribe(wanted)

    def _on_subscribe(
        self, _c: Any, _u: Any, _mid: int, reasons: list[ReasonCode], _p: Any
    ) -> None:
        if all(not r.is_failure for r in reasons):
            self.subscribed.set()
        else:
            log.error("the broker refused the subscription: %s", reasons)

    def _on_disconnect(self, _c: Any, _u: Any, _f: Any, reason: ReasonCode, _p: Any) -> None:
        self.subscribed.clear()
        if not self.stopping.is_set():
            log.warning("disconnected from the broker (%s); reconnecting", reason)

    def _on_message(self, _c: Any, _u: Any, message: paho.MQTTMessage) -> None:
        inbound = Inbound(message, urgent=house_json.on_urgent_channel(message.topic))
        self._inbox.put(inbound)
        if inbound.urgent:
            self._urgent.put(inbound)

    def start(self) -> paho.Client:
        """Connect (in the background, retrying with back-off) and start the network loop."""
        client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=MQTTProtocolVersion.MQTTv5,
            manual_ack=True,
        )
        if self.settings.mqtt_username:
            client.username_pw_set(self.settings.mqtt_username, self.settings.mqtt_password)
        client.on_connect = self._on_connect
        client.on_subscribe = self._on_subscribe
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = SESSION_EXPIRY_S
        properties.ReceiveMaximum = RECEIVE_MAXIMUM
        client.connect_async(
            self.settings.mqtt_host,
            self.settings.mqtt_port,
            keepalive=30,
            clean_start=False,
            properties=properties,
        )
        client.loop_start()
        self._client = client
        return client

    def process(self, message: paho.MQTTMessage) -> None:
        """Store one message (retrying while the database is away), then acknowledge it."""
        wait = 1.0
        while True:
            try:
                outcome = self.gateway.mqtt(message.topic, bytes(message.payload))
            except Exception:  # the gateway does not raise; if it ever does, keep the message
                log.exception("the gateway failed on a message of %s", message.topic)
                outcome = Outcome("rejected", "failed", "the gateway failed", ack=False)
            if outcome.ack or self.stopping.is_set():
                break
            log.warning("the database is away; trying the message again in %.0f s", wait)
            self.stopping.wait(wait)
            wait = min(wait * 2, 30)
        if outcome.ack:
            self._ack(message)

    def _ack(self, message: paho.MQTTMessage) -> None:
        if self._client is not None and message.qos > 0:
            self._client.ack(message.mid, message.qos)
        self.taken += 1

    def _store(self, messages: list[paho.MQTTMessage]) -> list[Outcome]:
        """Store messages in one transaction: one outcome each."""
        if not messages:
            return []
        try:
            return self.gateway.mqtt_batch([(m.topic, bytes(m.payload)) for m in messages])
        except Exception:  # the gateway does not raise; if it ever does, one by one
            log.exception("the gateway failed on a batch of %d messages", len(messages))
            return [Outcome("rejected", "failed", "the gateway failed", ack=False)] * len(messages)

    def process_batch(self, batch: list[Inbound]) -> None:
        """Store a batch in one transaction (its alarm messages the urgent lane stores), then
        acknowledge each message of it in order; a message whose outcome could not be
        written is taken again on its own, with retries."""
        plain = [i for i in batch if not i.urgent]
        stored = dict(zip(map(id, plain), self._store([i.message for i in plain]), strict=True))
        for inbound in batch:
            if inbound.urgent:  # no waiting on a lane that has stopped
                lane_on = self._lane is not None and self._lane.is_alive()
                inbound.settled.wait(URGENT_WAIT_S if lane_on else 0)
                outcome = inbound.outcome
            else:
                outcome = stored[id(inbound)]
            if outcome is None or not outcome.ack:
                self.process(inbound.message)
            else:
                self._ack(inbound.message)

    def run_urgent(self) -> None:
        """The urgent lane: store each alarm message as it comes, until `stopping` is set and
        what came is stored."""
        while True:
            try:
                first = self._urgent.get(timeout=0.2)
            except queue.Empty:
                if self.stopping.is_set():
                    return
                continue
            taken = [first]
            while len(taken) < BATCH_MAX:
                try:
                    taken.append(self._urgent.get_nowait())
                except queue.Empty:
                    break
            for inbound, outcome in zip(
                taken, self._store([i.message for i in taken]), strict=True
            ):
                inbound.settle(outcome)

    def _share(self) -> None:
        """Take this process's share of each device's allowance, when the group was counted."""
        processes = self.membership.beat() if self.membership is not None else None
        if processes is not None:
            self.gateway.share_among(processes)

    def _batch(self, first: Inbound) -> list[Inbound]:
        messages = [first]
        deadline = time.monotonic() + BATCH_WAIT_S
        while len(messages) < BATCH_MAX:
            try:
                messages.append(self._inbox.get_nowait())
                continue
            except queue.Empty:
                pass
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                messages.append(self._inbox.get(timeout=left))
            except queue.Empty:
                break
        return messages

    def run(self) -> None:
        """Process messages until `stopping` is set, then drain what came and disconnect."""
        client = self._client or self.start()
        lane = self._lane = threading.Thread(
            target=self.run_urgent, name="ingest-urgent", daemon=True
        )
        lane.start()
        try:
            while not self.stopping.is_set():
                self._share()
                try:
                    message = self._inbox.get(timeout=0.5)
                except queue.Empty:
                    self.gateway.flush_floods()
                    continue
                self.process_batch(self._batch(message))
            while True:  # what the broker already handed us is stored before we leave
                try:
                    first = self._inbox.get_nowait()
                except queue.Empty:
                    break
                self.process_batch(self._batch(first))
            self.gateway.flush_floods(all_=True)
        finally:
            self.stopping.set()
            lane.join(URGENT_WAIT_S)
            if self.membership is not None:
                self.membership.leave()
            client.disconnect()
            time.sleep(0.05)
            client.loop_stop()
