"""The fault run in a short form: kill -9 an ingest process and restart the broker mid-stream.

The SOS go on the urgent channel (`.../alarm`, an ordinary subscription in each ingest
process's persistent session, kept by Mosquitto over its restart): none may be lost.

PostgreSQL (YIYANG_DATABASE_URL) and a `mosquitto` binary of our own on a free port, with
persistence, so the broker can be restarted; skipped without them (CI has both).
bench/mqtt_fault.py is the same code the benchmark runs with 1,000 messages.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from alarms import drop, scratch
from mqtt_fault import MOSQUITTO, fault_run

URL = os.environ.get("YIYANG_DATABASE_URL", "")

pytestmark = pytest.mark.skipif(
    not URL.startswith("postgresql") or MOSQUITTO is None,
    reason="needs PostgreSQL (YIYANG_DATABASE_URL) and a mosquitto binary",
)


def test_kill_9_and_a_broker_restart_keep_every_sos_once() -> None:
    url, handle = scratch(URL, "_fault_test")
    try:
        result = fault_run(url, 200)
    finally:
        drop(handle)
    # Every SOS is an alarm exactly once: a redelivery after the kill -9, and the copy each
    # ingest process takes of an urgent message, are deduplicated on the message id.
    assert result["lost"] == 0, result
    assert result["stored"] == result["sent"], result
    assert result["sos_alarms"] == result["sent"], result
    assert result["alarms_more_than_once"] == 0, result
    # Sent = stored + dead-lettered (none is refused here).
    assert result["dead_lettered"] == 0, result
    assert result["stored"] + result["dead_lettered"] == result["sent"], result
    assert result["ok"], result
