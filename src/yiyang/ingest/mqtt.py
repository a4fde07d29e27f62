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
from yiyang.ingest.pipeline import Gateway, Outcome
from yiyang.protocols.house_json import ALARM_FILTER, TOPIC_FILTER

log = logging.getLogger(__name__)

SESSION_EXPIRY_S = 3600  # the broker keeps an absent process's session (and its messages)
RECEIVE_MAXIMUM = 500  # unacknowledged messages the broker may have in flight to us
BATCH_MAX = 200  # messages taken in one transaction
BATCH_WAIT_S = 0.02  # how long a batch waits for more after its first message


def shared_filter(group: str) -> str:
    """The shared subscription of an ingest group."""
    return f"$share/{group}/{TOPIC_FILTER}"


def subscriptions(group: str) -> list[tuple[str, SubscribeOptions]]:
    """What an ingest process subscribes to: `/up` shared in its group, `/alarm` its own."""
    return [
        (shared_filter(group), SubscribeOptions(qos=1)),
        (ALARM_FILTER, SubscribeOptions(qos=1)),
    ]


@dataclass
class Subscriber:
    """One ingest process's MQTT connection and its processing thread."""

    gateway: Gateway
    settings: Settings
    client_id: str
    group: str = "ingest"
    stopping: threading.Event = field(default_factory=threading.Event)
    subscribed: threading.Event = field(default_factory=threading.Event)
    taken: int = 0  # messages processed and acknowledged (for the tests and the bench)
    _inbox: queue.Queue[paho.MQTTMessage] = field(default_factory=queue.Queue)
    _client: paho.Client | None = None

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
        self._inbox.put(message)

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
        if outcome.ack and self._client is not None and message.qos > 0:
            self._client.ack(message.mid, message.qos)
        if outcome.ack:
            self.taken += 1

    def process_batch(self, messages: list[paho.MQTTMessage]) -> None:
        """Store a batch in one transaction, then acknowledge each message of it; a message
        whose outcome could not be written is taken again on its own, with retries."""
        try:
            outcomes = self.gateway.mqtt_batch([(m.topic, bytes(m.payload)) for m in messages])
        except Exception:  # the gateway does not raise; if it ever does, one by one
            log.exception("the gateway failed on a batch of %d messages", len(messages))
            outcomes = [Outcome("rejected", "failed", "the gateway failed", ack=False)] * len(
                messages
            )
        for message, outcome in zip(messages, outcomes, strict=True):
            if not outcome.ack:
                self.process(message)
                continue
            if self._client is not None and message.qos > 0:
                self._client.ack(message.mid, message.qos)
            self.taken += 1

    def _batch(self, first: paho.MQTTMessage) -> list[paho.MQTTMessage]:
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
        try:
            while not self.stopping.is_set():
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
            client.disconnect()
            time.sleep(0.05)
            client.loop_stop()
