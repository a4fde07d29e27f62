"""The fault run, smaller: kill -9 a real `yiyang worker` mid-delivery; nothing is lost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine

pytestmark = pytest.mark.postgres_only
SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "outbox_fault.py"


def test_a_killed_worker_loses_no_message_and_the_receiver_deduplicates(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the fault run claims with FOR UPDATE SKIP LOCKED on PostgreSQL")
    url = os.environ["YIYANG_DATABASE_URL"]
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--count", "120", "--lease", "2", "--no-doc",
         "--database-url", url],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["exactly_once_after_dedup"] is True
    assert result["lost"] == 0 and result["unexpected"] == 0 and result["bad_signatures"] == 0
    assert result["at_kill"].get("delivering") == 1  # the worker died holding one message
    assert result["duplicates"] >= 1  # ... which was delivered again after its lease expired
    assert result["final"] == {"delivered": 120}
    assert result["stopped_on_sigint_s"] is not None, done.stdout  # the restarted one stops
