"""Fault run: kill -9 the worker in the middle of delivering outbox messages, restart it.

    python bench/outbox_fault.py [--count 1000] [--database-url URL] [--lease 3] [--no-doc]

A migrated scratch database (PostgreSQL by default) gets one webhook subscription pointing at
a receiver on 127.0.0.1 (an HTTP server in this process that checks each Standard Webhooks
signature and records the idempotency key), then `count` typed events published the way a
request publishes them, each writing one webhook outbox message. `yiyang worker` runs as a
real subprocess; when the receiver holds the middle message (received, not yet answered) the
worker gets SIGKILL. A new worker is started; once every message is delivered, the receiver's
keys are compared with the outbox: after de-duplication every message must have arrived
exactly once, none lost. Prints the figures, ends with one JSON line, and rewrites the
"Outbox fault run" section of docs/benchmarks.md (unless --no-doc).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from standardwebhooks.webhooks import Webhook

import yiyang.console.notifications  # noqa: F401  (the webhook subscriber)
from doc import replace_section
from seed import DEFAULT_PG, fresh_database, server_version
from yiyang.events import bus
from yiyang.events.models import OutboxMessage
from yiyang.events.types import Actor
from yiyang.orders.events import CaregiverAssigned, OrderSnapshot
from yiyang.ports.models import WebhookSubscription
from yiyang.ports.webhook import new_secret

SECTION = "## Outbox fault run"
YIYANG = Path(sys.executable).with_name("yiyang")


class Receiver(ThreadingHTTPServer):
    """Records every delivery's idempotency key; holds the `hold_at`-th request unanswered."""

    def __init__(self, secret: str, hold_at: int) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.verifier = Webhook(secret)
        self.hold_at = hold_at
        self.keys: list[str] = []
        self.bad = 0
        self.lock = threading.Lock()
        self.holding = threading.Event()

    @property
    def url(self) -> str:
        """Where the subscription posts."""
        return f"http://127.0.0.1:{self.server_address[1]}/events"


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        try:
            self.server.verifier.verify(body, dict(self.headers), json_parse=False)
        except Exception:
            with self.server.lock:
                self.server.bad += 1
            self.send_response(400)
            self.end_headers()
            return
        with self.server.lock:
            self.server.keys.append(self.headers["idempotency-key"])
            hold = len(self.server.keys) == self.server.hold_at
        if hold:  # received but not answered: the worker dies mid-delivery
            self.server.holding.set()
            time.sleep(2)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


def _prepare(engine: Engine, count: int, url: str, secret: str) -> None:
    """One subscription and `count` published events (one webhook message each)."""
    now = datetime.now(UTC)
    with Session(engine) as s, s.begin():
        s.add(
            WebhookSubscription(
                url=url, secret=secret, event_types=["order.caregiver_assigned"], active=True,
                created_at=now, updated_at=now,
            )
        )  # fmt: skip
        s.flush()
        for n in range(1, count + 1):
            snapshot = OrderSnapshot(
                id=n, elder_id=n, item_id=1, status="assigned", previous_status="org_accepted",
                service_date=now.date(), window_start_at=now, window_end_at=now,
                planned_start_at=now, provider_id=1, staff_id=1, channel="app",
            )  # fmt: skip
            bus.publish(s, CaregiverAssigned(occurred_at=now, actor=Actor.of(None), order=snapshot))


def _states(engine: Engine) -> dict[str, int]:
    with Session(engine) as s:
        rows = s.execute(
            select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
        ).tuples()
        return {state: n for state, n in rows}


def _worker(url: str, lease: float, log_path: Path) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "YIYANG_DATABASE_URL": url,
        "YIYANG_SECRET_KEY": "bench-outbox-fault",
        "YIYANG_OUTBOX_LEASE_SECONDS": str(lease),
        "YIYANG_WEBHOOK_ADAPTER": "http",
        "YIYANG_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",  # the receiver runs here
    }
    out = log_path.open("ab")
    return subprocess.Popen(
        [str(YIYANG), "worker", "--interval", "0.2"], env=env, stdout=out, stderr=out
    )


def run(url: str | None, count: int, lease: float, timeout: float) -> dict[str, Any]:
    """The whole fault run on one database; returns its figures."""
    secret = new_secret()
    receiver = Receiver(secret, hold_at=count // 2)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"outbox-fault-{os.getpid()}.log"
    try:
        with fresh_database(url, "scratch") as engine:
            db_url = engine.url.render_as_string(hide_password=False)
            started = time.perf_counter()
            _prepare(engine, count, receiver.url, secret)
            prepared_s = time.perf_counter() - started
            started = time.perf_counter()
            first = _worker(db_url, lease, log_path)
            if not receiver.holding.wait(timeout):
                first.kill()
                raise RuntimeError(f"the worker never reached the middle message; see {log_path}")
            first.send_signal(signal.SIGKILL)
            first.wait()
            killed_after_s = time.perf_counter() - started
            at_kill = _states(engine)
            received_at_kill = len(receiver.keys)
            restarted = time.perf_counter()
            second = _worker(db_url, lease, log_path)
            deadline = time.monotonic() + timeout
            while _states(engine).get("delivered", 0) < count and time.monotonic() < deadline:
                time.sleep(0.2)
            recovered_s = time.perf_counter() - restarted
            second.send_signal(signal.SIGINT)
            stopping = time.perf_counter()
            try:  # a graceful stop finishes the tick under way; past a minute it is killed
                second.wait(timeout=60)
                stopped_s: float | None = round(time.perf_counter() - stopping, 2)
            except subprocess.TimeoutExpired:
                second.kill()
                second.wait()
                stopped_s = None
            final = _states(engine)
            with Session(engine) as s:
                expected = set(s.scalars(select(OutboxMessage.idempotency_key)))
                most_tries = s.scalar(select(func.max(OutboxMessage.attempts))) or 0
            version = server_version(engine)
    finally:
        receiver.shutdown()
        receiver.server_close()
    seen = Counter(receiver.keys)
    return {
        "version": version,
        "messages": count,
        "prepare_s": round(prepared_s, 2),
        "killed_after_s": round(killed_after_s, 2),
        "at_kill": at_kill,
        "received_at_kill": received_at_kill,
        "recovered_s": round(recovered_s, 2),
        "stopped_on_sigint_s": stopped_s,  # None: it did not stop within a minute
        "final": final,
        "received": len(receiver.keys),
        "distinct": len(seen),
        "duplicates": sum(n - 1 for n in seen.values()),
        "lost": len(expected - set(seen)),
        "unexpected": len(set(seen) - expected),
        "bad_signatures": receiver.bad,
        "most_tries": most_tries,
        "exactly_once_after_dedup": set(seen) == expected and len(expected) == count,
        "lease_s": lease,
    }


def write_doc(command: str, r: dict[str, Any]) -> None:
    """Replace this benchmark's section of docs/benchmarks.md."""
    lines = [
        SECTION,
        "",
        "`bench/outbox_fault.py`: one webhook subscription on a receiver at 127.0.0.1 (checks",
        "each Standard Webhooks signature, records the idempotency key), N published events",
        "(one webhook message each), `yiyang worker` as a subprocess killed with SIGKILL while",
        "the receiver holds the middle message unanswered, then a new worker. Delivery is at",
        "least once: the held message is delivered again after its lease expires, and the",
        "receiver de-duplicates on the key.",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {os.cpu_count()} CPUs, {platform.platform()}, Python "
        f"{platform.python_version()}; measured {datetime.now(UTC).date().isoformat()}.",
        "",
        "| database | messages | killed after s | at the kill (delivered / delivering / pending) "
        "| received | distinct keys | duplicates | lost | bad signatures | recovery s | "
        "exactly once after de-dup |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---|",
        f"| {r['version']} | {r['messages']:,} | {r['killed_after_s']} "
        f"| {r['at_kill'].get('delivered', 0)} / {r['at_kill'].get('delivering', 0)} / "
        f"{r['at_kill'].get('pending', 0)} | {r['received']:,} | {r['distinct']:,} "
        f"| {r['duplicates']} | {r['lost']} | {r['bad_signatures']} | {r['recovered_s']} "
        f"| {'yes' if r['exactly_once_after_dedup'] else 'NO'} |",
        "",
        f"Recovery includes waiting out the {r['lease_s']} s lease (`YIYANG_OUTBOX_LEASE_SECONDS`)"
        " of the message the killed worker held.",
    ]
    replace_section(SECTION, "\n".join(lines) + "\n")


def main() -> None:
    """Parse the arguments, run, print, record."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--database-url", default=DEFAULT_PG)
    parser.add_argument("--lease", type=float, default=3.0, help="outbox lease, seconds")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()
    r = run(args.database_url, args.count, args.lease, args.timeout)
    at = r["at_kill"]
    print(f"{r['version']}: {r['messages']:,} webhook messages")
    print(f"  SIGKILL after {r['killed_after_s']} s, {r['received_at_kill']:,} received by then")
    print(
        f"  outbox at the kill: {at.get('delivered', 0)} delivered, "
        f"{at.get('delivering', 0)} delivering, {at.get('pending', 0)} pending"
    )
    print(f"  restarted: all delivered {r['recovered_s']} s later; final {r['final']}")
    print(
        f"  receiver: {r['received']:,} requests, {r['distinct']:,} distinct keys, "
        f"{r['duplicates']} duplicates, {r['lost']} lost, {r['bad_signatures']} bad signatures"
    )
    print(f"  exactly once after de-duplication: {r['exactly_once_after_dedup']}")
    if not args.no_doc:
        command = "python bench/outbox_fault.py " + " ".join(sys.argv[1:])
        write_doc(command.strip(), r)
    print(json.dumps({"bench": "outbox_fault", **r}, ensure_ascii=False))
    if not r["exactly_once_after_dedup"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
