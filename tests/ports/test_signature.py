"""Webhook signatures follow Standard Webhooks: the reference library verifies ours."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from yiyang.ports.webhook import SECRET_PREFIX, new_secret, signature, signed_headers


def test_signature_is_hmac_sha256_of_id_timestamp_body() -> None:
    key = b"k" * 32
    secret = SECRET_PREFIX + base64.b64encode(key).decode()
    body = b'{"a":1}'
    expected = hmac.new(key, b"msg_1.1700000000." + body, hashlib.sha256).digest()
    assert signature(secret, "msg_1", 1700000000, body) == "v1," + base64.b64encode(
        expected
    ).decode("ascii")


def test_secrets_are_fresh_and_32_bytes() -> None:
    a, b = new_secret(), new_secret()
    assert a != b and a.startswith("whsec_")
    assert len(base64.b64decode(a.removeprefix("whsec_"))) == 32


def test_reference_library_verifies_our_headers() -> None:
    secret = new_secret()
    body = json.dumps({"type": "visit.checked_in", "data": {"x": "护理"}}, ensure_ascii=False)
    stamp = int(datetime.now(UTC).timestamp())
    headers = signed_headers(
        secret, key="webhook:1:abc", timestamp=stamp, body=body.encode(), event_type="visit.x"
    )
    assert headers["idempotency-key"] == headers["webhook-id"] == "webhook:1:abc"
    assert Webhook(secret).verify(body, headers) == json.loads(body)


def test_reference_library_refuses_a_changed_body_or_another_secret() -> None:
    secret = new_secret()
    stamp = int(datetime.now(UTC).timestamp())
    headers = signed_headers(secret, key="k1", timestamp=stamp, body=b'{"n":1}', event_type=None)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify('{"n":2}', headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify('{"n":1}', headers)
