"""The hash chain over audit rows: a canonical encoding and SHA-256 links (pure, no database).

Each sealed row stores `prev_hash` (the `row_hash` of the row sealed before it) and
`row_hash` = SHA-256 of a canonical encoding of its content, its `seq` and `prev_hash`. Changing,
removing or reordering any row breaks the link at that row or the next one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64
VERSION = "yiyang-audit-chain/1"
FIELDS = (
    "id", "at", "actor_id", "actor_name", "actor_role", "action", "entity", "entity_id",
    "before", "after", "ip", "detail",
)  # fmt: skip


@dataclass(frozen=True)
class Link:
    """The end of a chain so far: the last sequence number and its hash."""

    seq: int
    row_hash: str


START = Link(0, GENESIS)


def at_text(at: datetime) -> str:
    """A timestamp as the chain encodes it: UTC, ISO 8601, microseconds."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def record_of(row: Any) -> dict[str, Any]:
    """The hashed content of an audit row (any object with the audit columns as attributes)."""
    record = {name: getattr(row, name) for name in FIELDS}
    record["at"] = at_text(row.at)
    return record


def canonical(record: Mapping[str, Any], seq: int, prev_hash: str) -> bytes:
    """One stable byte string per row: sorted keys, no spaces, UTF-8, its place in the chain."""
    body = {name: record[name] for name in FIELDS} | {"seq": seq, "prev_hash": prev_hash}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f"{VERSION}\n{text}".encode()


def row_hash(record: Mapping[str, Any], seq: int, prev_hash: str) -> str:
    """The hash a row gets when it is sealed at `seq` after `prev_hash`."""
    return hashlib.sha256(canonical(record, seq, prev_hash)).hexdigest()


@dataclass(frozen=True)
class Break:
    """The first place where the chain does not hold, and why (a code the CLI explains)."""

    reason: str  # gap | link | content | anchor | archive_missing | archive_changed | archive_rows
    seq: int | None
    row_id: int | None
    where: str  # "table" or the archive file name
    expected: str = ""
    found: str = ""


@dataclass
class ChainCheck:
    """Walks sealed rows in `seq` order and stops at the first broken link."""

    head: Link = START
    anchors: dict[int, str] = field(default_factory=dict)
    checked: int = 0
    broken: Break | None = None

    def feed(
        self, record: Mapping[str, Any], *, seq: int, prev_hash: str, stored_hash: str, where: str
    ) -> bool:
        """Check one row against the chain so far; False (and `broken` set) when it does not fit."""
        if self.broken is not None:
            return False
        expected_seq = self.head.seq + 1
        row_id = record.get("id")
        if seq != expected_seq:
            return self._break("gap", seq, row_id, where, str(expected_seq), str(seq))
        if prev_hash != self.head.row_hash:
            return self._break("link", seq, row_id, where, self.head.row_hash, prev_hash)
        recomputed = row_hash(record, seq, prev_hash)
        if recomputed != stored_hash:
            return self._break("content", seq, row_id, where, recomputed, stored_hash)
        anchor = self.anchors.get(seq)
        if anchor is not None and anchor != stored_hash:
            return self._break("anchor", seq, row_id, where, anchor, stored_hash)
        self.head = Link(seq, stored_hash)
        self.checked += 1
        return True

    def fail(
        self, reason: str, *, seq: int | None, where: str, expected: str = "", found: str = ""
    ) -> None:
        """Record a break found outside the rows themselves (an archive file, an anchor)."""
        if self.broken is None:
            self.broken = Break(reason, seq, None, where, expected, found)

    def finish(self) -> Break | None:
        """The first break, including anchors past the end of the chain."""
        missing = sorted(s for s in self.anchors if s > self.head.seq)
        if self.broken is None and missing:
            self.fail("anchor", seq=missing[0], where="table", expected=self.anchors[missing[0]])
        return self.broken

    def _break(
        self, reason: str, seq: int, row_id: int | None, where: str, expected: str, found: str
    ) -> bool:
        self.broken = Break(reason, seq, row_id, where, expected, found)
        return False
