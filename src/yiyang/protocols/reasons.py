"""Why a message was not taken: dead-letter reason codes, and the checks that need `now`."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from yiyang.protocols.message import DeviceMessage
from yiyang.protocols.vocabulary import PLAUSIBLE


class Reason(StrEnum):
    """The reason a message went to the dead-letter table."""

    UNPARSEABLE = "unparseable"  # not JSON / not a frame at all
    INVALID = "invalid"  # a field missing, of the wrong type or unknown
    BAD_TOPIC = "bad_topic"  # an MQTT topic outside the scheme
    UNKNOWN_VENDOR = "unknown_vendor"  # a webhook for a vendor the platform has no secret for
    UNKNOWN_PROTOCOL = "unknown_protocol"  # a device whose protocol has no parser
    ABSURD_VALUE = "absurd_value"  # a reading no person could have (heart rate 900)
    FUTURE_TIMESTAMP = "future_timestamp"  # sent later than now plus the allowed clock skew
    TOO_OLD = "too_old"  # sent earlier than the oldest message the platform takes
    UNKNOWN_DEVICE = "unknown_device"  # no device has this identity
    RETIRED_DEVICE = "retired_device"  # the device was retired
    BAD_TOKEN = "bad_token"  # missing or wrong device token
    WRONG_PROTOCOL = "wrong_protocol"  # the device speaks another protocol than it was sent in
    BAD_SIGNATURE = "bad_signature"  # a webhook without or with a forged signature
    STALE_SIGNATURE = "stale_signature"  # a signed webhook outside the timestamp window
    REPLAY = "replay"  # a webhook delivery already received
    RATE_LIMITED = "rate_limited"  # a device sending faster than its allowance
    FAILED = "failed"  # storing failed for a reason of ours (logged)


def absurd(message: DeviceMessage) -> str | None:
    """A description of the first implausible reading or coordinate, or None."""
    for metric, value in message.readings.items():
        low, high = PLAUSIBLE[metric]
        if not low <= value <= high:
            return f"{metric}={value:g} outside {low:g}..{high:g}"
    if message.lat is not None and not -90 <= message.lat <= 90:
        return f"lat={message.lat:g} outside -90..90"
    if message.lon is not None and not -180 <= message.lon <= 180:
        return f"lon={message.lon:g} outside -180..180"
    return None


def out_of_time(
    sent_at: datetime, now: datetime, *, skew: timedelta, max_age: timedelta
) -> tuple[Reason, str] | None:
    """Whether a message's own time is too far ahead of `now` or too far behind it."""
    if sent_at > now + skew:
        return Reason.FUTURE_TIMESTAMP, f"sent at {sent_at.isoformat()}, more than {skew} ahead"
    if sent_at < now - max_age:
        return Reason.TOO_OLD, f"sent at {sent_at.isoformat()}, older than {max_age}"
    return None
