"""The `yiyang` command: serve, worker, demo, database migration, seeding, accounts."""

from __future__ import annotations

import asyncio
import getpass
import os
import sys
from datetime import timedelta
from typing import Annotated

import typer
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from yiyang.config import get_settings

app = typer.Typer(help="yiyang 颐养 — district smart elderly-care platform", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="User accounts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Migrate the database in YIYANG_DATABASE_URL to a revision (default: the newest)."""
    from yiyang.db import make_engine
    from yiyang.migrate import upgrade

    settings = get_settings()
    upgrade(make_engine(settings.database_url), revision)
    typer.echo(f"database at {revision}: {_safe_url(settings.database_url)}")


def _safe_url(url: str) -> str:
    from sqlalchemy import make_url

    return make_url(url).render_as_string(hide_password=True)


@app.command()
def seed(
    district: str = "jinshui",
    elders: Annotated[int, typer.Option(min=0, help="How many synthetic elders.")] = 20_000,
    seed: Annotated[
        int, typer.Option(help="Random seed; the same seed gives the same data.")
    ] = 2026,
    catalog_only: Annotated[bool, typer.Option(help="Only the service catalog.")] = False,
) -> None:
    """Fill the database with the demo district (or only the service catalog)."""
    from yiyang.db import make_engine, make_session_factory, unit_of_work
    from yiyang.demo import seed_catalog, seed_demo
    from yiyang.errors import DomainError

    engine = make_engine(get_settings().database_url)
    try:
        if catalog_only:
            with unit_of_work(make_session_factory(engine)) as session:
                typer.echo(f"catalog items written: {seed_catalog(session)}")
                typer.echo(f"subsidy policies added: {_seed_policies(session)}")
            return
        report = seed_demo(engine, district=district, elders=elders, seed=seed)
        with unit_of_work(make_session_factory(engine)) as session:
            typer.echo(f"subsidy policies added: {_seed_policies(session)}")
    except DomainError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    for table, count in report.counts.items():
        typer.echo(f"{table:>22}: {count:,}")
    typer.echo(f"seeded in {report.seconds:.1f} s")
    _print_logins(report.logins)


def _seed_policies(session: Session) -> int:
    """The default government-purchase policies (seeded after the catalog they refer to)."""
    from yiyang.kit.clock import utcnow
    from yiyang.kit.localtime import local_today
    from yiyang.orders.seed import seed_policies

    return seed_policies(session, local_today(utcnow()))


def _print_logins(logins: list[tuple[str, str, str]]) -> None:
    if not logins:
        return
    typer.echo("\nDemo logins (user / password / role):")
    for username, password, role in logins:
        typer.echo(f"  {username:<14} {password:<18} {role}")


@users_app.command("create")
def users_create(
    username: str,
    role: str,
    display_name: Annotated[str, typer.Option(help="Name shown in the app.")] = "",
    area_code: Annotated[str | None, typer.Option(help="Street or community code.")] = None,
    provider_id: int | None = None,
    staff_id: int | None = None,
    elder_id: int | None = None,
) -> None:
    """Create an account; the password is read from YIYANG_NEW_PASSWORD or asked for."""
    from yiyang.db import make_engine, make_session_factory, unit_of_work
    from yiyang.errors import DomainError
    from yiyang.registry.accounts import service
    from yiyang.security.roles import Role
    from yiyang.security.subject import system_subject

    try:
        role_value = Role(role)
    except ValueError as exc:
        allowed = ", ".join(r.value for r in Role)
        raise typer.BadParameter(f"unknown role {role!r}; one of: {allowed}") from exc
    password = os.environ.get("YIYANG_NEW_PASSWORD") or getpass.getpass("Password: ")
    factory = make_session_factory(make_engine(get_settings().database_url))
    try:
        with unit_of_work(factory) as session:
            user = service.create_account(
                session,
                system_subject("cli"),
                username=username,
                password=password,
                display_name=display_name or username,
                role=role_value,
                area_code=area_code,
                provider_id=provider_id,
                staff_id=staff_id,
                elder_id=elder_id,
            )
            typer.echo(f"created user {user.username} (id {user.id}, {role_value.value})")
    except DomainError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: Annotated[int, typer.Option(help="Web worker processes.")] = 1,
    with_worker: Annotated[
        bool | None, typer.Option(help="Run timers in-process (default: yes on SQLite).")
    ] = None,
) -> None:
    """Serve the web app and JSON API."""
    import uvicorn

    settings = get_settings()
    embedded = settings.database_url.startswith("sqlite") if with_worker is None else with_worker
    os.environ["YIYANG_EMBEDDED_WORKER"] = "1" if embedded else "0"
    uvicorn.run(
        "yiyang.asgi:app",
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_level="info",
    )


@app.command()
def worker(interval: float = 1.0) -> None:
    """Fire due timers (offer expiries, late checks) and run jobs (day plans, exports)."""
    from yiyang.db import make_engine, make_session_factory
    from yiyang.kit.clock import utcnow
    from yiyang.worker import run_forever

    settings = get_settings()
    factory = make_session_factory(make_engine(settings.database_url))
    typer.echo("worker running; Ctrl-C to stop")
    try:
        asyncio.run(run_forever(factory, utcnow, settings, interval))
    except KeyboardInterrupt:
        sys.exit(0)


def _seed_tomorrow(engine: Engine) -> None:
    """Give the demo a day of orders for tomorrow unless it already has some."""
    from sqlalchemy import func, select

    from yiyang.db import make_session_factory
    from yiyang.demo.day import seed_orders
    from yiyang.kit.clock import utcnow
    from yiyang.kit.localtime import local_today
    from yiyang.orders.models import ServiceOrder

    now = utcnow()
    tomorrow = local_today(now) + timedelta(days=1)
    with make_session_factory(engine)() as session:
        booked = session.scalar(
            select(func.count(ServiceOrder.id)).where(ServiceOrder.service_date == tomorrow)
        )
        if booked:
            return
        typer.echo(f"placing demo orders for {tomorrow} (automatic dispatch)…")
        made = seed_orders(session, now=now)
        session.commit()
    typer.echo(f"{made} orders placed")


@app.command()
def demo(
    elders: Annotated[int, typer.Option(min=0)] = 20_000,
    host: str = "127.0.0.1",
    port: int = 8000,
) -> None:
    """Migrate, seed the demo district once, print the logins and serve on one process."""
    from sqlalchemy import func, select

    from yiyang.db import make_engine, make_session_factory
    from yiyang.demo import DEMO_PASSWORD, seed_demo
    from yiyang.migrate import upgrade
    from yiyang.registry.elders.models import Elder
    from yiyang.security.models import UserAccount

    settings = get_settings()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    with make_session_factory(engine)() as session:
        existing = session.scalar(select(func.count(Elder.id))) or 0
        accounts = session.execute(
            select(UserAccount.username, UserAccount.role).order_by(UserAccount.id).limit(20)
        ).all()
    if existing:
        typer.echo(f"demo district already seeded ({existing:,} elders); logins unless changed:")
        _print_logins([(u, DEMO_PASSWORD, r) for u, r in accounts])
    else:
        typer.echo(f"seeding the Jinshui demo district with {elders:,} elders…")
        report = seed_demo(engine, elders=elders)
        with make_session_factory(engine)() as session:
            _seed_policies(session)
            session.commit()
        typer.echo(f"seeded in {report.seconds:.1f} s")
        _print_logins(report.logins)
    _seed_tomorrow(engine)
    typer.echo(f"\nOpen http://{host}:{port}/ in a browser.\n")
    serve(host=host, port=port, workers=1, with_worker=True)
