"""The MQTT side of `yiyang ingest`: a shared subscription, QoS 1, acknowledged after commit.

Why paho-mqtt and not aiomqtt: aiomqtt 2.5 has no application-controlled acknowledgement
(its issue #345 is open; the workaround reaches into its private paho client), so it would
PUBACK a message before we stored it and a crash in between would lose it. paho-mqtt 2
has `manual_ack=True` and `Client.ack(mid, qos)`: the network loop runs on paho's thread,
messages are handed to one processing thread through a queue and acknowledged, in the order
they came (MQTT 5 §4.6), only after their transaction committed (or their dead letter did).

Several processes subscribe to `$share/<group>/yiyang/v1/devices/+/up` and the broker splits
the messages between them. Each keeps a persistent session (clean start off, an expiry), so
a message in flight when a process dies is delivered again when it reconnects; the dedup
on the message id makes that harmless. paho reconnects with back-off (1 s doubling to 30 s).
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
from yiyang.protocols.house_json import TOPIC_FILTER

log = logging.getLogger(__name__)

SESSION_EXPIRY_S = 3600  # the broker keeps an absent process's session (and its messages)
RECEIVE_MAXIMUM = 200  # unacknowledged messages the broker may have in flight to us


def shared_filter(group: str) -> str:
    """The shared subscription of an ingest group."""
    return f"$share/{group}/{TOPIC_FILTER}"


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
        log.info("connected to the broker; subscribing to %s", shared_filter(self.group))
        client.subscribe(shared_filter(self.group), options=SubscribeOptions(qos=1))

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
                self.process(message)
            while True:  # what the broker already handed us is stored before we leave
                try:
                    self.process(self._inbox.get_nowait())
                except queue.Empty:
                    break
            self.gateway.flush_floods(all_=True)
        finally:
            client.disconnect()
            time.sleep(0.05)
            client.loop_stop()
