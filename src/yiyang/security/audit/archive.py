"""Move sealed audit rows past the retention period to gzipped JSON-lines files, never losing one.

The file is written and synced first, then its manifest row is inserted and the rows deleted
in one transaction; if the file cannot be written nothing is deleted. Files are
deterministic (no timestamp in the gzip header), so a run that failed after writing them
writes the same bytes again.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import IO, Any

from sqlalchemy.orm import Session

from yiyang.kit.localtime import CHINA_TZ, local_today
from yiyang.security.audit import chain, repository
from yiyang.security.audit.models import AuditArchive, AuditEvent

FORMAT = "yiyang-audit-archive/1"
MAX_ROWS = 100_000  # per run; the timer comes back soon while more are due


@dataclass
class ArchiveRun:
    """What one run moved out of the table."""

    files: list[str] = field(default_factory=list)
    rows: int = 0
    more: bool = False


def cutoff(now: datetime, online_days: int) -> datetime:
    """Rows before local midnight `online_days` ago go to the archive."""
    day = local_today(now) - timedelta(days=online_days)
    return datetime.combine(day, time(0), CHINA_TZ).astimezone(UTC)


def line_of(row: AuditEvent) -> dict[str, Any]:
    """One archived row: its hashed content and its place in the chain."""
    return chain.record_of(row) | {
        "seq": row.seq,
        "prev_hash": row.prev_hash,
        "row_hash": row.row_hash,
    }


class _DayFile:
    """One archive file being written: the rows of one local day, a contiguous run of seq."""

    def __init__(self, folder: Path, day: date, first: AuditEvent) -> None:
        self.day = day
        self.name = f"audit-{day:%Y-%m-%d}-{first.seq:012d}.jsonl.gz"
        self.path = folder / self.name
        self.partial = folder / f".{self.name}.part"
        self._raw: IO[bytes] = open(self.partial, "wb")  # noqa: SIM115  (closed in close())
        self._gz = gzip.GzipFile(filename="", mode="wb", fileobj=self._raw, mtime=0)
        self._write({"format": FORMAT, "chain": chain.VERSION})
        self.first, self.last, self.rows = first, first, 0

    def _write(self, data: dict[str, Any]) -> None:
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        self._gz.write(text.encode() + b"\n")

    def add(self, row: AuditEvent) -> None:
        self._write(line_of(row))
        self.last, self.rows = row, self.rows + 1

    def close(self, now: datetime) -> AuditArchive:
        """Finish, sync and move the file into place; its manifest row, not yet added."""
        self._gz.close()
        self._raw.flush()
        os.fsync(self._raw.fileno())
        self._raw.close()
        os.replace(self.partial, self.path)
        digest = file_sha256(self.path)
        assert self.first.seq is not None and self.last.seq is not None
        return AuditArchive(
            file_name=self.name, first_seq=self.first.seq, last_seq=self.last.seq,
            rows=self.rows, prev_hash=self.first.prev_hash, last_hash=self.last.row_hash,
            sha256=digest, first_at=self.first.at, last_at=self.last.at, archived_at=now,
        )  # fmt: skip

    def abandon(self) -> None:
        self._gz.close()
        self._raw.close()
        self.partial.unlink(missing_ok=True)


def archive_due(
    session: Session,
    now: datetime,
    *,
    online_days: int,
    archive_dir: Path,
    max_rows: int | None = None,
) -> ArchiveRun:
    """Archive the sealed rows older than the retention period, one file per local day."""
    limit = max_rows or MAX_ROWS
    keep_from = repository.first_seq_from(session, cutoff(now, online_days))
    run = ArchiveRun()
    manifests: list[AuditArchive] = []
    current: _DayFile | None = None
    archive_dir.mkdir(parents=True, exist_ok=True)
    try:
        # Only a prefix of the chain: up to the first row that is still young enough to stay.
        for row in repository.archivable(session, keep_from, limit):
            day = row.at.astimezone(CHINA_TZ).date()
            if current is None or day > current.day:
                if current is not None:
                    manifests.append(current.close(now))
                current = _DayFile(archive_dir, day, row)
            current.add(row)
            run.rows += 1
        if current is not None:
            manifests.append(current.close(now))
            current = None
    finally:
        if current is not None:
            current.abandon()
    if not manifests:
        return run
    for manifest in manifests:
        repository.add_manifest(session, manifest)
    deleted = repository.delete_through(session, manifests[-1].last_seq)
    if deleted != run.rows:
        raise RuntimeError(f"archived {run.rows} audit rows but {deleted} matched the delete")
    run.files = [m.file_name for m in manifests]
    run.more = run.rows >= limit
    return run


def read_lines(path: Path) -> Iterator[dict[str, Any]]:
    """The rows of an archive file, after checking its header."""
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        header = json.loads(next(lines))
        if header.get("format") != FORMAT:
            raise ValueError(f"{path.name}: not a yiyang audit archive")
        for line in lines:
            yield json.loads(line)


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, as the manifest records it."""
    with open(path, "rb") as data:
        return hashlib.file_digest(data, "sha256").hexdigest()
