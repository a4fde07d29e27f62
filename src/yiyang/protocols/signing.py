"""Signed vendor webhooks: HMAC-SHA256 over `<timestamp>.<body>`, checked in constant time (pure).

Headers: `X-Yiyang-Timestamp` (Unix seconds), `X-Yiyang-Signature` (`sha256=<hex>`) and
`X-Yiyang-Delivery` (the delivery's unique id, for replay protection).
"""

from __future__ import annotations

import hashlib
import hmac

from yiyang.protocols.reasons import Reason

TIMESTAMP = "x-yiyang-timestamp"
SIGNATURE = "x-yiyang-signature"
DELIVERY = "x-yiyang-delivery"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value for a body sent at `timestamp`."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def check(
    secret: str,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    *,
    now_s: float,
    window_s: float,
) -> tuple[Reason, str] | None:
    """Why a delivery's signature is not good, or None when it is."""
    if not timestamp or not signature:
        return Reason.BAD_SIGNATURE, "the timestamp or signature header is missing"
    try:
        stamp = int(timestamp)
    except ValueError:
        return Reason.BAD_SIGNATURE, "the timestamp header is not Unix seconds"
    if not hmac.compare_digest(sign(secret, stamp, body), signature.strip()):
        return Reason.BAD_SIGNATURE, "the signature does not match the body"
    if abs(now_s - stamp) > window_s:
        return (
            Reason.STALE_SIGNATURE,
            f"signed {now_s - stamp:.0f} s from now, outside ±{window_s:g} s",
        )
    return None
