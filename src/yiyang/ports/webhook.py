"""The webhook port: a signed POST of an event to a subscriber's URL (Standard Webhooks scheme).

Headers: `webhook-id` and `Idempotency-Key` (the message's idempotency key, the same on
every retry), `webhook-timestamp` (Unix seconds of this try) and `webhook-signature`
(`v1,` + base64 of HMAC-SHA256 over `id.timestamp.body`, keyed with the base64-decoded part
of the subscriber's `whsec_…` secret). See docs/webhooks.md.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Protocol

import httpx
from sqlalchemy.orm import Session, sessionmaker

from yiyang.kit.clock import Clock
from yiyang.ports import log
from yiyang.ports.destinations import Networks, check_url

SECRET_PREFIX = "whsec_"
USER_AGENT = "yiyang-webhooks/1"


def new_secret() -> str:
    """A fresh signing secret: `whsec_` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256>` of `msg_id.timestamp.body` under the decoded secret."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def signed_headers(
    secret: str, *, key: str, timestamp: int, body: bytes, event_type: str | None
) -> dict[str, str]:
    """The headers of one delivery try."""
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "idempotency-key": key,
        "webhook-id": key,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, key, timestamp, body),
    }
    if event_type:
        headers["x-yiyang-event"] = event_type
    return headers


class WebhookSender(Protocol):
    """Posts a signed body to a URL; raises when the subscriber did not answer 2xx."""

    def post(self, url: str, secret: str, body: bytes, *, key: str, event_type: str | None) -> None:
        """Deliver one try."""


class WebhookRefused(Exception):
    """The subscriber answered, but not with a 2xx status."""


class HttpWebhookSender:
    """Real adapter: POST with httpx; any answer but 2xx is a failed try (retried later)."""

    def __init__(self, client: httpx.Client, clock: Clock, allowed: Networks = ()) -> None:
        """`allowed`: the private networks a subscriber may sit in (public ones always may)."""
        self._client, self._clock, self._allowed = client, clock, allowed

    def post(self, url: str, secret: str, body: bytes, *, key: str, event_type: str | None) -> None:
        """Check where the URL leads, send and check the status."""
        check_url(url, self._allowed)
        stamp = int(self._clock().timestamp())
        headers = signed_headers(secret, key=key, timestamp=stamp, body=body, event_type=event_type)
        response = self._client.post(url, content=body, headers=headers)
        if not response.is_success:
            raise WebhookRefused(f"{url} answered {response.status_code}")


class LogWebhookSender:
    """Development adapter: writes the URL and body to the port log instead of posting."""

    def __init__(self, factory: sessionmaker[Session], clock: Clock) -> None:
        self._factory, self._clock = factory, clock

    def post(self, url: str, secret: str, body: bytes, *, key: str, event_type: str | None) -> None:
        """Log the delivery."""
        log.write(
            self._factory,
            channel="webhook",
            destination=url,
            text=body.decode(),
            key=key,
            at=self._clock(),
        )
