"""Walk the whole audit chain, archive files first, then the table, and name the first break."""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from yiyang.security.audit import archive, chain, repository
from yiyang.security.audit.models import AuditArchive

PAGE = 5000


@dataclass
class VerifyReport:
    """What was checked, where the chain ends, and the first break if there is one."""

    table_rows: int = 0
    archives: int = 0
    archived_rows: int = 0
    head: chain.Link = chain.START
    unsealed: int = 0
    oldest_unsealed_at: datetime | None = None
    orphan_files: list[str] = field(default_factory=list)
    broken: chain.Break | None = None


def _walk_file(check: chain.ChainCheck, folder: Path, manifest: AuditArchive) -> bool:
    path = folder / manifest.file_name
    where = manifest.file_name
    if not path.is_file():
        check.fail("archive_missing", seq=manifest.first_seq, where=where)
        return False
    rows = 0
    try:
        for line in archive.read_lines(path):
            record = {name: line[name] for name in chain.FIELDS}
            if not check.feed(
                record, seq=line["seq"], prev_hash=line["prev_hash"],
                stored_hash=line["row_hash"], where=where,
            ):  # fmt: skip
                return False
            rows += 1
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile, ValueError, KeyError, TypeError):
        check.fail("archive_unreadable", seq=check.head.seq + 1, where=where)
        return False
    if (rows, check.head.seq, check.head.row_hash) != (
        manifest.rows,
        manifest.last_seq,
        manifest.last_hash,
    ):
        check.fail("archive_rows", seq=manifest.last_seq, where=where,
                   expected=str(manifest.rows), found=str(rows))  # fmt: skip
        return False
    if archive.file_sha256(path) != manifest.sha256:
        check.fail("archive_changed", seq=manifest.first_seq, where=where,
                   expected=manifest.sha256)  # fmt: skip
        return False
    return True


def verify(
    session: Session, archive_dir: Path, *, anchors: dict[int, str] | None = None
) -> VerifyReport:
    """Check every archived and sealed row in chain order; anchors pin known (seq, hash) pairs."""
    check = chain.ChainCheck(anchors=dict(anchors or {}))
    report = VerifyReport()
    manifests = repository.archives(session)
    known = {m.file_name for m in manifests}
    if archive_dir.is_dir():
        report.orphan_files = sorted(
            p.name for p in archive_dir.glob("audit-*.jsonl.gz") if p.name not in known
        )
    for manifest in manifests:
        if not _walk_file(check, archive_dir, manifest):
            break
        report.archives += 1
        report.archived_rows += manifest.rows
    after = 0
    while check.broken is None:
        rows = repository.sealed_after(session, after, PAGE)
        for row in rows:
            assert row.seq is not None
            if not check.feed(
                chain.record_of(row), seq=row.seq, prev_hash=row.prev_hash or "",
                stored_hash=row.row_hash or "", where="table",
            ):  # fmt: skip
                break
            report.table_rows += 1
            after = row.seq
        if len(rows) < PAGE:
            break
    report.broken = check.finish()
    report.head = check.head
    report.unsealed, report.oldest_unsealed_at = repository.unsealed_summary(session)
    return report


def parse_anchor(text: str) -> tuple[int, str]:
    """An anchor written as SEQ:HASH (as `yiyang audit verify` prints the head)."""
    seq, _, digest = text.partition(":")
    if not seq.isdecimal() or len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
        raise ValueError(f"anchor {text!r} is not SEQ:SHA256HEX")
    return int(seq), digest
