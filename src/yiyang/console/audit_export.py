"""The audit trail as a CSV or Excel file: the page's rows and words, one line per event."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import IO, Any, Literal

from sqlalchemy.orm import Session

from yiyang.console.audit_view import EntryView, Words, local_text, views
from yiyang.errors import N_
from yiyang.kit.sheets import write_table
from yiyang.security.audit import service as audit
from yiyang.security.audit.schemas import AuditFilter
from yiyang.security.subject import Subject
from yiyang.web.i18n import translate

Format = Literal["csv", "xlsx"]
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
HEADERS = (
    N_("Time"), N_("Person"), N_("User name"), N_("Role"), N_("Action"), N_("Kind of record"),
    N_("Record no."), N_("Record"), N_("Details"), N_("Changes"), N_("IP address"),
    N_("Chain no."),
)  # fmt: skip
CHUNK = 500


@dataclass(frozen=True)
class ExportFile:
    """A written export: where it is, what to call it, and how many rows it holds."""

    path: Path
    file_name: str
    media_type: str
    count: int


def _cells(view: EntryView) -> list[Any]:
    changes = "; ".join(
        f"{c.field}: {c.before} → {c.after}" if c.before else f"{c.field}: {c.after}"
        for c in view.changes
    )
    return [
        view.at, view.person, view.username, view.role, view.action, view.record,
        view.record_id, view.record_name, view.summary, changes, view.ip, view.seq,
    ]  # fmt: skip


def _write(kind: str, header: list[str], rows: Iterator[list[Any]], out: IO[bytes]) -> int:
    return write_table(kind, header, rows, out, sheet="audit")


def export(
    session: Session,
    subject: Subject,
    flt: AuditFilter,
    kind: Format,
    *,
    now: datetime,
    locale: str,
) -> ExportFile:
    """Write every row the filter matches (as the page shows them) to a temporary file; audited."""
    words = Words(locale, subject)
    stream = audit.export_rows(session, subject, flt, kind, now=now)

    def rows() -> Iterator[list[Any]]:
        while batch := list(islice(stream, CHUNK)):
            yield from (_cells(v) for v in views(session, subject, words, batch))

    header = [translate(locale, h) for h in HEADERS]
    with tempfile.NamedTemporaryFile(prefix="yiyang-audit-", suffix=f".{kind}",
                                     delete=False) as out:  # fmt: skip
        count = _write(kind, header, rows(), out)
    name = f"audit-{local_text(now)[:10]}.{kind}"
    return ExportFile(Path(out.name), name, MEDIA[kind], count)
