"""What the dead-letter page calls each refusal reason and channel (translated at render)."""

from __future__ import annotations

from yiyang.errors import N_

REASON_LABELS: dict[str, str] = {
    "unparseable": N_("Could not be read"),
    "invalid": N_("Malformed message"),
    "bad_topic": N_("Wrong MQTT topic"),
    "unknown_vendor": N_("Unknown vendor cloud"),
    "unknown_protocol": N_("Protocol not supported"),
    "absurd_value": N_("Implausible value"),
    "future_timestamp": N_("Time in the future"),
    "too_old": N_("Too old"),
    "unknown_device": N_("Unknown device"),
    "retired_device": N_("Retired device"),
    "bad_token": N_("Wrong or missing device token"),
    "wrong_protocol": N_("Sent in another protocol"),
    "bad_signature": N_("Missing or forged signature"),
    "stale_signature": N_("Signature outside the time window"),
    "replay": N_("Replayed delivery"),
    "rate_limited": N_("Over the rate limit"),
    "failed": N_("Could not be stored"),
}

CHANNEL_LABELS: dict[str, str] = {
    "mqtt": N_("MQTT"),
    "http": N_("HTTP"),
    "webhook": N_("Vendor webhook"),
}

PERIODS: dict[int, str] = {1: N_("Last hour"), 24: N_("Last 24 hours"), 168: N_("Last 7 days")}
