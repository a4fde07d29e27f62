"""Security and cache headers on every response, and the endpoint that logs CSP violations.

A pure ASGI middleware (not BaseHTTPMiddleware), so streamed responses and server-sent events
pass through untouched: it only rewrites the headers of `http.response.start`.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

REPORT_PATH = "/csp-report"
REPORT_GROUP = "csp"
MAX_REPORT_BYTES = 64 * 1024


def policy(*, https: bool) -> str:
    """A strict Content-Security-Policy: only this origin's files, nothing inline or eval'd.

    Violations go to `report-uri`, which every browser honours. Over HTTPS they also go to
    `report-to` (the Reporting API): Chrome ignores `report-uri` once `report-to` is there and
    sends Reporting API reports only to a secure endpoint, so over plain HTTP it would be lost.
    """
    directives = [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",  # ECharts and Alpine set styles through the DOM, which CSP allows
        "img-src 'self' data:",  # the select arrow in app.css, Swagger UI's icons
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        f"report-uri {REPORT_PATH}",
    ]
    if https:
        directives.append(f"report-to {REPORT_GROUP}")
    return "; ".join(directives)


COMMON_HEADERS: tuple[tuple[str, str], ...] = (
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "same-origin"),  # search terms (names, ID numbers) never leave the site
    # The caregiver's phone page scans QR codes with the camera and checks in by position.
    ("permissions-policy", "camera=(self), geolocation=(self), microphone=(), payment=(), usb=()"),
    ("cross-origin-opener-policy", "same-origin"),
)
HTTPS_HEADERS: tuple[tuple[str, str], ...] = (
    ("strict-transport-security", "max-age=31536000; includeSubDomains"),
    ("reporting-endpoints", f'{REPORT_GROUP}="{REPORT_PATH}"'),
)
NO_STORE = ("cache-control", "no-store")


def headers_for(path: str, *, https: bool) -> list[tuple[str, str]]:
    """The headers a response to `path` carries; only static assets may be cached."""
    chosen = [("content-security-policy", policy(https=https)), *COMMON_HEADERS]
    if https:
        chosen += HTTPS_HEADERS
    if not path.startswith("/static/"):
        chosen.append(NO_STORE)
    return chosen


class SecurityHeaders:
    """Adds the security headers to every HTTP response, drops `server`, answers CSP reports."""

    def __init__(self, app: ASGIApp, *, https: bool = False) -> None:
        """`https`: the site is served over HTTPS only (then HSTS and the Reporting API)."""
        self.app = app
        self._static = _encoded(headers_for("/static/", https=https))
        self._dynamic = _encoded(headers_for("/", https=https))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        added = self._static if scope["path"].startswith("/static/") else self._dynamic
        replaced = {k for k, _ in added} | {b"server"}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in replaced]
                message = {**message, "headers": kept + added}
            await send(message)

        if scope["path"] == REPORT_PATH:
            await _receive_report(scope, receive, send_with_headers)
        else:
            await self.app(scope, receive, send_with_headers)


def _encoded(headers: list[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]


async def _receive_report(scope: Scope, receive: Receive, send: Send) -> None:
    """Log each violation in a report-uri or Reporting API body; 204, or why it was refused."""
    if scope["method"] != "POST":
        await _answer(send, 405, [(b"allow", b"POST")])
        return
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
        if len(body) > MAX_REPORT_BYTES:
            await _answer(send, 413)
            return
    try:
        violations = _violations(json.loads(body))
    except (ValueError, TypeError, AttributeError, LookupError):
        await _answer(send, 400)
        return
    for v in violations:
        log.warning(
            "CSP violation: %s blocked %s on %s (%s:%s)",
            _field(v, "effectiveDirective", "effective-directive", "violated-directive"),
            _no_query(_field(v, "blockedURL", "blocked-uri")),
            _no_query(_field(v, "documentURL", "document-uri")),
            _no_query(_field(v, "sourceFile", "source-file")),
            _field(v, "lineNumber", "line-number"),
        )
    await _answer(send, 204)


def _violations(data: Any) -> list[dict[str, Any]]:
    """The violation bodies of either format: {"csp-report": {...}} or [{"body": {...}}]."""
    if isinstance(data, dict):
        return [dict(data["csp-report"])]
    return [dict(item["body"]) for item in data if item.get("type") == "csp-violation"]


def _field(violation: dict[str, Any], *names: str) -> str:
    """The first of the names present (the two formats spell them apart), fit for one log line.

    Anyone can post a report: control characters go, so a report cannot forge log lines.
    """
    value = next((violation[n] for n in names if violation.get(n)), "")
    return "".join(c if c.isprintable() else "?" for c in str(value)[:300])


def _no_query(url: str) -> str:
    """A URL without its query and fragment: searches may hold names and ID numbers."""
    parts = urlsplit(url)
    return parts._replace(query="", fragment="").geturl() if parts.scheme else url


async def _answer(
    send: Send, status: int, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers or []})
    await send({"type": "http.response.body", "body": b""})
