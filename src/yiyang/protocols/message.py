"""What every parser produces: one device message in the platform's own terms (pure).

A parser names the device by one of its identities; the gateway finds the device, checks
its credentials, deduplicates on `message_id` and stores the message before acknowledging.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from yiyang.protocols.vocabulary import IdentityScheme, Metric, Signal


class MessageKind(StrEnum):
    """What a message carries."""

    HEARTBEAT = "heartbeat"  # alive, with battery and signal; updates last-seen only
    SIGNAL = "signal"  # a one-off event: SOS, fall, bed exit, door opened, …
    READING = "reading"  # measured values
    STATUS = "status"  # battery, signal, firmware changed


@dataclass(frozen=True)
class DeviceMessage:
    """One parsed message; times are timezone-aware UTC."""

    message_id: str
    scheme: IdentityScheme
    identity: str
    kind: MessageKind
    sent_at: datetime
    signal: Signal | None = None
    readings: dict[Metric, float] = field(default_factory=dict)
    battery_pct: int | None = None
    signal_dbm: int | None = None
    firmware: str | None = None
    lat: float | None = None
    lon: float | None = None
    token: str | None = None  # the device's own secret, when the format carries one


class ParseError(ValueError):
    """A payload that cannot be read; `reason` is the dead-letter reason code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
