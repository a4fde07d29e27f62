"""The outbox deliverers of each channel, built on the adapters the settings choose."""

from __future__ import annotations

import json

import httpx
from sqlalchemy.orm import Session, sessionmaker

from yiyang.config import Settings
from yiyang.events.delivery import Claim, Deliverer, Undeliverable
from yiyang.kit.clock import Clock
from yiyang.ports.models import WebhookSubscription
from yiyang.ports.notify import LogNotifier, Notifier
from yiyang.ports.webhook import HttpWebhookSender, LogWebhookSender, WebhookSender


def http_client(settings: Settings) -> httpx.Client:
    """The client webhooks are posted with: bounded time, no redirects followed."""
    return httpx.Client(timeout=settings.webhook_timeout_seconds, follow_redirects=False)


def notifier_for(settings: Settings, factory: sessionmaker[Session], clock: Clock) -> Notifier:
    """The notification adapter of YIYANG_NOTIFY_ADAPTER (only `log` exists so far)."""
    if settings.notify_adapter == "log":
        return LogNotifier(factory, clock)
    raise ValueError(f"unknown notify adapter {settings.notify_adapter!r}")


def sender_for(
    settings: Settings, factory: sessionmaker[Session], clock: Clock, http: httpx.Client
) -> WebhookSender:
    """The webhook adapter of YIYANG_WEBHOOK_ADAPTER: `http` posts, `log` writes it down."""
    if settings.webhook_adapter == "http":
        return HttpWebhookSender(http, clock, [*settings.webhook_allowed_networks])
    if settings.webhook_adapter == "log":
        return LogWebhookSender(factory, clock)
    raise ValueError(f"unknown webhook adapter {settings.webhook_adapter!r}")


def webhook_body(claim: Claim) -> bytes:
    """The exact bytes that are signed and posted (compact JSON, UTF-8)."""
    return json.dumps(claim.payload, ensure_ascii=False, separators=(",", ":")).encode()


def deliverers(
    settings: Settings, factory: sessionmaker[Session], clock: Clock, http: httpx.Client
) -> dict[str, Deliverer]:
    """Channel name → function that delivers one claimed message (raises when it failed)."""
    notifier = notifier_for(settings, factory, clock)
    sender = sender_for(settings, factory, clock, http)

    def sms(claim: Claim) -> None:
        notifier.sms(claim.destination, claim.payload["text"], key=claim.idempotency_key)

    def voice(claim: Claim) -> None:
        notifier.call(claim.destination, claim.payload["text"], key=claim.idempotency_key)

    def webhook(claim: Claim) -> None:
        with factory() as session:
            sub = session.get(WebhookSubscription, int(claim.destination))
            target = (sub.url, sub.secret) if sub is not None and sub.active else None
        if target is None:
            raise Undeliverable("the webhook subscription was removed or switched off")
        sender.post(
            target[0],
            target[1],
            webhook_body(claim),
            key=claim.idempotency_key,
            event_type=claim.event_type,
        )

    return {"sms": sms, "voice": voice, "webhook": webhook}
