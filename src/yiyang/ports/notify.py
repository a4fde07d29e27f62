"""The notification port: an SMS or a voice call to a phone number."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from yiyang.kit.clock import Clock
from yiyang.ports import log


class Notifier(Protocol):
    """Sends a text to a phone; `key` is the same on every retry of one message."""

    def sms(self, phone: str, text: str, *, key: str) -> None:
        """Send a text message."""

    def call(self, phone: str, text: str, *, key: str) -> None:
        """Place a voice call that reads the text out."""


class LogNotifier:
    """Development adapter: writes what would have been sent to the port log, once per key."""

    def __init__(self, factory: sessionmaker[Session], clock: Clock) -> None:
        self._factory, self._clock = factory, clock

    def sms(self, phone: str, text: str, *, key: str) -> None:
        """Log the text message."""
        log.write(
            self._factory, channel="sms", destination=phone, text=text, key=key, at=self._clock()
        )

    def call(self, phone: str, text: str, *, key: str) -> None:
        """Log the voice call."""
        log.write(
            self._factory, channel="voice", destination=phone, text=text, key=key, at=self._clock()
        )
