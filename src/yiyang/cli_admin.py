"""The `yiyang audit` and `yiyang visits` commands: upkeep an administrator runs by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from yiyang.config import get_settings

audit_app = typer.Typer(help="The audit trail: hash chain and archives.", no_args_is_help=True)
visits_app = typer.Typer(help="Visit supervision.", no_args_is_help=True)


BREAK_REASONS = {
    "gap": "rows are missing before it (expected seq {expected}, found {found})",
    "link": "its link to the row before does not match (one of them was changed)",
    "content": "its content does not match its hash (changed after sealing)",
    "anchor": "its hash differs from the anchor given (expected {expected})",
    "archive_missing": "the archive file is missing",
    "archive_unreadable": "the archive file cannot be read",
    "archive_rows": "the archive file does not hold the rows its manifest lists",
    "archive_changed": "the archive file's bytes differ from its manifest (SHA-256)",
}


@audit_app.command("verify")
def audit_verify(
    archive_dir: Annotated[
        Path | None, typer.Option(help="Archive files (default: YIYANG_AUDIT_ARCHIVE_DIR).")
    ] = None,
    anchor: Annotated[
        list[str] | None,
        typer.Option(help="SEQ:HASH printed by an earlier run, kept elsewhere; repeatable."),
    ] = None,
) -> None:
    """Walk the audit chain through the archives and the table; exit 1 at the first break."""
    from yiyang.db import make_engine, make_session_factory
    from yiyang.security.audit.verify import parse_anchor, verify

    settings = get_settings()
    try:
        anchors = dict(parse_anchor(a) for a in anchor or [])
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    folder = archive_dir or settings.audit_archive_dir
    with make_session_factory(make_engine(settings.database_url))() as session:
        report = verify(session, folder, anchors=anchors)
    typer.echo(f"archives: {report.archives} files, {report.archived_rows:,} rows ({folder})")
    typer.echo(f"table: {report.table_rows:,} sealed rows checked")
    if report.unsealed:
        typer.echo(
            f"waiting for the sealer: {report.unsealed:,} rows since {report.oldest_unsealed_at}"
        )
    for name in report.orphan_files:
        typer.echo(f"note: {name} has no manifest (a run that did not commit); not checked")
    broken = report.broken
    if broken is not None:
        where = "the table" if broken.where == "table" else broken.where
        row = f"row seq {broken.seq}" + (f" (id {broken.row_id})" if broken.row_id else "")
        why = BREAK_REASONS.get(broken.reason, broken.reason).format(
            expected=broken.expected, found=broken.found
        )
        typer.echo(f"BROKEN at {row} in {where}: {why}", err=True)
        raise typer.Exit(code=1)
    typer.echo(f"chain intact; head {report.head.seq}:{report.head.row_hash}")


@audit_app.command("seal")
def audit_seal() -> None:
    """Seal the audit rows waiting for the sealer now (the worker does this every second)."""
    from yiyang.db import make_engine, make_session_factory
    from yiyang.kit.clock import utcnow
    from yiyang.security.audit import sealer

    factory = make_session_factory(make_engine(get_settings().database_url))
    total = 0
    while done := sealer.seal_new(factory, utcnow()):
        total += done
    typer.echo(f"sealed {total:,} rows")


@audit_app.command("archive")
def audit_archive() -> None:
    """Archive the sealed rows past YIYANG_AUDIT_ONLINE_DAYS now (the worker does it nightly)."""
    from yiyang.db import make_engine, make_session_factory, unit_of_work
    from yiyang.kit.clock import utcnow
    from yiyang.security.audit import archive

    settings = get_settings()
    factory = make_session_factory(make_engine(settings.database_url))
    while True:
        with unit_of_work(factory) as session:
            run = archive.archive_due(
                session, utcnow(), online_days=settings.audit_online_days,
                archive_dir=settings.audit_archive_dir,
            )  # fmt: skip
        for name in run.files:
            typer.echo(f"wrote {settings.audit_archive_dir / name}")
        if not run.more:
            break
    typer.echo("archive up to date")


@visits_app.command("rejudge")
def visits_rejudge() -> None:
    """Judge again every delivered visit whose verdict is missing or was judged under other
    YIYANG_VISIT_* thresholds (the worker does it in the background after a change)."""
    from yiyang.db import make_engine, make_session_factory
    from yiyang.kit.clock import utcnow
    from yiyang.visits.payment.rejudge import rejudge_all
    from yiyang.visits.policy import policy_from

    settings = get_settings()
    factory = make_session_factory(make_engine(settings.database_url))
    done = rejudge_all(factory, policy_from(settings), utcnow)
    typer.echo(f"Visits judged again under the current thresholds: {done:,}")
