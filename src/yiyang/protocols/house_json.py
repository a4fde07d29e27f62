"""The house scheme: MQTT topic `yiyang/v1/devices/<scheme>:<identity>/up` (or `/alarm` for a
signal that raises an alarm at once, see `is_urgent`), a JSON payload (pure).

    {"id": "m-000172", "ts": "2026-12-01T04:05:06Z", "type": "signal", "signal": "sos",
     "readings": {"heart_rate": 72}, "battery": 80, "rssi": -71, "firmware": "1.4.2",
     "lat": 34.76, "lon": 113.65, "token": "…", "device": "imei:861234567890123"}

The urgent channel `/alarm` exists because Mosquitto (2.0) does not restore shared
subscriptions after a restart: the ingest processes hold `/up` as a shared subscription and
`/alarm` as an ordinary one in their persistent sessions, which the broker keeps over its own
restart and queues for while a process is away (docs/devices.md, "Topics").

Over MQTT the topic names the device (`device`, when present, must agree); over HTTP the
payload must name it. Unknown fields are refused, so a typo is found, not ignored.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from typing import Any

from yiyang.protocols.message import DeviceMessage, MessageKind, ParseError
from yiyang.protocols.reasons import Reason, absurd
from yiyang.protocols.vocabulary import URGENT_SIGNALS, IdentityScheme, Metric, Signal

TOPIC_PREFIX = "yiyang/v1/devices/"
TOPIC_FILTER = "yiyang/v1/devices/+/up"  # everything else: one shared subscription
ALARM_FILTER = "yiyang/v1/devices/+/alarm"  # the urgent channel: every ingest process
SUFFIXES = ("/up", "/alarm")
FIELDS = frozenset(
    {"id", "ts", "type", "signal", "readings", "battery", "rssi", "firmware", "lat", "lon"}
    | {"token", "device"}
)
_MESSAGE_ID = re.compile(r"[A-Za-z0-9._:\-]{1,64}")
_IDENTITY = re.compile(r"[A-Za-z0-9._:\-]{1,64}")
MAX_PAYLOAD = 16 * 1024


def is_urgent(message: DeviceMessage) -> bool:
    """Whether the message goes on the urgent channel: a signal that raises an alarm the
    moment it comes (SOS, fall, smoke, gas, water leak, wet bed, tamper)."""
    return message.kind is MessageKind.SIGNAL and message.signal in URGENT_SIGNALS


def on_urgent_channel(topic: str) -> bool:
    """Whether a topic is a device's urgent channel (`.../alarm`)."""
    return topic.startswith(TOPIC_PREFIX) and topic.endswith("/alarm")


def topic_of(scheme: IdentityScheme, identity: str, *, urgent: bool = False) -> str:
    """The topic a device publishes a message on: `/alarm` when it is urgent, else `/up`."""
    return f"{TOPIC_PREFIX}{scheme}:{identity}/{'alarm' if urgent else 'up'}"


def topic_for(message: DeviceMessage) -> str:
    """The topic of this message of a house-scheme device."""
    return topic_of(message.scheme, message.identity, urgent=is_urgent(message))


def parse_identity(text: str) -> tuple[IdentityScheme, str]:
    """`imei:8612…` → (IdentityScheme.IMEI, "8612…")."""
    scheme, sep, value = text.partition(":")
    if (
        not sep
        or scheme not in IdentityScheme.__members__.values()
        or not _IDENTITY.fullmatch(value)
    ):
        raise ParseError(Reason.INVALID, f"device {text[:80]!r} is not <scheme>:<identity>")
    return IdentityScheme(scheme), value


def identity_of_topic(topic: str) -> tuple[IdentityScheme, str]:
    """The device a topic of the scheme names."""
    suffix = next((s for s in SUFFIXES if topic.endswith(s)), None)
    if not topic.startswith(TOPIC_PREFIX) or suffix is None:
        detail = f"topic {topic[:120]!r} is outside {TOPIC_FILTER} and {ALARM_FILTER}"
        raise ParseError(Reason.BAD_TOPIC, detail)
    middle = topic[len(TOPIC_PREFIX) : -len(suffix)]
    try:
        return parse_identity(middle)
    except ParseError as exc:
        raise ParseError(Reason.BAD_TOPIC, exc.detail) from None


def _number(body: dict[str, Any], key: str) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ParseError(Reason.INVALID, f"{key} must be a number")
    return float(value)


def _integer(body: dict[str, Any], key: str) -> int | None:
    value = _number(body, key)
    if value is None:
        return None
    if value != int(value):
        raise ParseError(Reason.INVALID, f"{key} must be a whole number")
    return int(value)


def parse_time(value: object, key: str = "ts") -> datetime:
    """An ISO-8601 time with its offset, as aware UTC."""
    if not isinstance(value, str):
        raise ParseError(Reason.INVALID, f"{key} must be an ISO-8601 time with its offset")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ParseError(Reason.INVALID, f"{key} {value[:40]!r} is not an ISO-8601 time") from None
    if moment.tzinfo is None:
        raise ParseError(Reason.INVALID, f"{key} must carry its offset (Z or +08:00)")
    return moment.astimezone(UTC)


def load_object(raw: bytes, limit: int = MAX_PAYLOAD) -> dict[str, Any]:
    """The JSON object of a payload, or an `unparseable` error."""
    if len(raw) > limit:
        raise ParseError(Reason.UNPARSEABLE, f"payload of {len(raw)} bytes exceeds {limit}")
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ParseError(Reason.UNPARSEABLE, f"not JSON: {str(exc)[:120]}") from None
    if not isinstance(body, dict):
        raise ParseError(Reason.UNPARSEABLE, "the payload must be a JSON object")
    return body


def _readings(value: object) -> dict[Metric, float]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ParseError(Reason.INVALID, "readings must be an object of metric: value")
    readings: dict[Metric, float] = {}
    for key in value:
        if key not in Metric.__members__.values():
            raise ParseError(Reason.INVALID, f"unknown metric {str(key)[:40]!r}")
        parsed = _number(value, key)
        if parsed is None:
            raise ParseError(Reason.INVALID, f"reading {key} has no value")
        readings[Metric(key)] = parsed
    return readings


def parse(
    raw: bytes, scheme: IdentityScheme | None = None, identity: str | None = None
) -> list[DeviceMessage]:
    """The one message of a house payload; `scheme`/`identity` come from the MQTT topic."""
    body = load_object(raw)
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        raise ParseError(Reason.INVALID, f"unknown fields: {', '.join(unknown)[:120]}")
    named = body.get("device")
    if named is not None:
        if not isinstance(named, str):
            raise ParseError(Reason.INVALID, "device must be <scheme>:<identity>")
        named_scheme, named_identity = parse_identity(named)
        if scheme is not None and (named_scheme, named_identity) != (scheme, identity):
            raise ParseError(Reason.INVALID, "device differs from the device of the topic")
        scheme, identity = named_scheme, named_identity
    if scheme is None or identity is None:
        raise ParseError(Reason.INVALID, "device is required (<scheme>:<identity>)")
    message_id = body.get("id")
    if not isinstance(message_id, str) or not _MESSAGE_ID.fullmatch(message_id):
        raise ParseError(Reason.INVALID, "id must be 1–64 letters, digits or . _ : -")
    kind_text = body.get("type")
    if kind_text not in MessageKind.__members__.values():
        raise ParseError(Reason.INVALID, "type must be heartbeat, signal, reading or status")
    kind = MessageKind(str(kind_text))
    signal_text = body.get("signal")
    signal: Signal | None = None
    if kind is MessageKind.SIGNAL:
        if signal_text not in Signal.__members__.values():
            raise ParseError(Reason.INVALID, f"unknown or missing signal {str(signal_text)[:40]!r}")
        signal = Signal(str(signal_text))
    elif signal_text is not None:
        raise ParseError(Reason.INVALID, "only a message of type signal carries a signal")
    readings = _readings(body.get("readings"))
    if kind is MessageKind.READING and not readings:
        raise ParseError(Reason.INVALID, "a reading carries at least one value")
    firmware = body.get("firmware")
    if firmware is not None and (not isinstance(firmware, str) or not 0 < len(firmware) <= 32):
        raise ParseError(Reason.INVALID, "firmware must be a text of at most 32 characters")
    token = body.get("token")
    if token is not None and (not isinstance(token, str) or len(token) > 256):
        raise ParseError(Reason.INVALID, "token must be a text")
    battery = _integer(body, "battery")
    if battery is not None and not 0 <= battery <= 100:
        raise ParseError(Reason.ABSURD_VALUE, f"battery={battery} outside 0..100")
    rssi = _integer(body, "rssi")
    if rssi is not None and not -150 <= rssi <= 0:
        raise ParseError(Reason.ABSURD_VALUE, f"rssi={rssi} outside -150..0 dBm")
    lat, lon = _number(body, "lat"), _number(body, "lon")
    if (lat is None) != (lon is None):
        raise ParseError(Reason.INVALID, "lat and lon come together")
    message = DeviceMessage(
        message_id=message_id,
        scheme=scheme,
        identity=identity,
        kind=kind,
        sent_at=parse_time(body.get("ts")),
        signal=signal,
        readings=readings,
        battery_pct=battery,
        signal_dbm=rssi,
        firmware=firmware,
        lat=lat,
        lon=lon,
        token=token,
    )
    problem = absurd(message)
    if problem:
        raise ParseError(Reason.ABSURD_VALUE, problem)
    return [message]


def encode(message: DeviceMessage, *, with_device: bool = False) -> bytes:
    """The house payload of a message (the simulator and the tests speak it)."""
    body: dict[str, Any] = {
        "id": message.message_id,
        "ts": message.sent_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "type": str(message.kind),
    }
    if message.signal is not None:
        body["signal"] = str(message.signal)
    if message.readings:
        body["readings"] = {str(k): v for k, v in message.readings.items()}
    for key, value in (
        ("battery", message.battery_pct),
        ("rssi", message.signal_dbm),
        ("firmware", message.firmware),
        ("lat", message.lat),
        ("lon", message.lon),
        ("token", message.token),
    ):
        if value is not None:
            body[key] = value
    if with_device:
        body["device"] = f"{message.scheme}:{message.identity}"
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
