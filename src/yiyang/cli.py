"""The `yiyang` command: serve, worker, demo, database migration, seeding, accounts."""

from __future__ import annotations

import asyncio
import getpass
import os
import socket
import sys
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from yiyang.cli_admin import audit_app, visits_app
from yiyang.config import MissingSecretKey, Settings, get_settings, instance_secret_key

# Where the demo keeps its generated secret key when its database is not a SQLite file.
DEMO_INSTANCE = "var"
app = typer.Typer(help="yiyang 颐养 — district smart elderly-care platform", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="User accounts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")
app.add_typer(visits_app, name="visits")
simulate_app = typer.Typer(help="Simulated traffic for demos and load.", no_args_is_help=True)
app.add_typer(simulate_app, name="simulate")


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
        analyze(engine)
    except DomainError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    for table, count in report.counts.items():
        typer.echo(f"{table:>22}: {count:,}")
    typer.echo(f"seeded in {report.seconds:.1f} s")
    _print_logins(report.logins)


def analyze(engine: Engine) -> None:
    """Planner statistics for the tables just filled: without them PostgreSQL guesses row
    counts (and plans) until autovacuum gets round to it. SQLite gets ANALYZE too."""
    from sqlalchemy import text

    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    typer.echo("planner statistics gathered (ANALYZE)")


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
    from yiyang.security.passwords import PasswordPolicy
    from yiyang.security.roles import Role
    from yiyang.security.subject import system_subject

    try:
        role_value = Role(role)
    except ValueError as exc:
        allowed = ", ".join(r.value for r in Role)
        raise typer.BadParameter(f"unknown role {role!r}; one of: {allowed}") from exc
    password = os.environ.get("YIYANG_NEW_PASSWORD") or getpass.getpass("Password: ")
    settings = get_settings()
    factory = make_session_factory(make_engine(settings.database_url))
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
                policy=PasswordPolicy.of(settings),
            )
            typer.echo(f"created user {user.username} (id {user.id}, {role_value.value})")
    except DomainError as exc:
        typer.echo(f"error: {exc}", err=True)
        for problem in exc.problems[1:]:
            typer.echo(f"       {problem.message % problem.params}", err=True)
        raise typer.Exit(code=2) from exc


def _check_start(settings: Settings) -> None:
    """Refuse to start a shared deployment that would sign forms with a per-process key."""
    from yiyang.config import resolve_secret_key
    from yiyang.security.roles import roles_named

    try:
        resolve_secret_key(settings)
        roles_named(settings.totp_required_roles, "YIYANG_TOTP_REQUIRED_ROLES")
    except (MissingSecretKey, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc


WORKER_PING_SECONDS = 30


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
    _check_start(settings)
    embedded = settings.database_url.startswith("sqlite") if with_worker is None else with_worker
    os.environ["YIYANG_EMBEDDED_WORKER"] = "1" if embedded else "0"
    config = uvicorn.Config(
        "yiyang.asgi:app",
        host=host,
        port=port,
        workers=workers,
        # The app believes forwarded headers from YIYANG_TRUSTED_PROXIES only (app.py);
        # uvicorn's own handling would trust 127.0.0.1 whatever the settings say.
        proxy_headers=False,
        server_header=False,  # never tell the world which server (and version) answers
        log_level="info",
        # The supervisor kills a worker that does not answer its ping within this; uvicorn's
        # 5 s kills busy workers (and their requests in flight) on a loaded 2-CPU machine.
        timeout_worker_healthcheck=WORKER_PING_SECONDS,
    )
    run_server(config)


def run_server(config: Any) -> None:  # a uvicorn.Config (imported late: start-up cost)
    """Run uvicorn with `config`: one process, or N workers sharing a TCP_NODELAY listener."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    if config.workers in (None, 1):
        uvicorn.Server(config).run()
        return
    Multiprocess(config, sockets=[tcp_listener(config.host, config.port)]).run()


def tcp_listener(host: str, port: int) -> socket.socket:
    """The listening socket the web workers share, made with proto IPPROTO_TCP.

    uvicorn's own for --workers N leaves proto 0, accepted sockets inherit it and asyncio
    then never sets TCP_NODELAY on them, so every keep-alive response after the first waits
    for the client's delayed ACK, ~40 ms on Linux (Kludex/uvicorn#3149, also the gunicorn
    worker's path). A socket made with the protocol named gets TCP_NODELAY from asyncio.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


@app.command()
def worker(interval: float = 1.0) -> None:
    """Fire due timers, run jobs (day plans, exports) and deliver the outbox until stopped."""
    from yiyang.db import make_engine, make_session_factory
    from yiyang.kit.clock import utcnow
    from yiyang.worker import run_forever

    settings = get_settings()
    _check_start(settings)
    factory = make_session_factory(make_engine(settings.database_url))
    typer.echo("worker running; Ctrl-C to stop")
    try:
        asyncio.run(run_forever(factory, utcnow, settings, interval))
    except KeyboardInterrupt:
        sys.exit(0)


@app.command()
def ingest(
    client_id: Annotated[
        str,
        typer.Option(
            "--client-id",
            "--name",
            help="Stable per process and distinct on one host: its broker session "
            "(default ingest-<host>)",
        ),
    ] = "",
    group: Annotated[str, typer.Option(help="Shared-subscription group")] = "ingest",
) -> None:
    """The device gateway: take device messages from the MQTT broker until SIGINT or SIGTERM."""
    from yiyang.ingest.commands import run_ingest

    taken = run_ingest(get_settings(), client_id, group)
    typer.echo(f"ingest stopped after {taken} messages")


@simulate_app.command("devices")
def simulate_devices(
    count: Annotated[int, typer.Option(min=1, help="Devices to speak for")] = 50,
    rate: Annotated[float, typer.Option(min=0.01, help="Messages a second in all")] = 5.0,
    via: Annotated[str, typer.Option(help="mqtt or http")] = "mqtt",
    url: Annotated[str, typer.Option(help="The server, for --via http")] = "http://127.0.0.1:8000",
    total: Annotated[int, typer.Option(min=0, help="Stop after this many (0: never)")] = 0,
) -> None:
    """Send realistic traffic from installed devices (gives them fresh tokens: demo only)."""
    from yiyang.ingest.commands import run_simulator

    if via not in {"mqtt", "http"}:
        raise typer.BadParameter("--via is mqtt or http")
    sim = run_simulator(
        get_settings(),
        count=count,
        rate=rate,
        via="mqtt" if via == "mqtt" else "http",
        url=url,
        total=total or None,
    )
    typer.echo(f"{sim.sent} messages sent, {sim.failed} failed")


def _seed_tomorrow(engine: Engine, settings: Settings) -> None:
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
        made = seed_orders(session, now=now, settings=settings)
        session.commit()
    typer.echo(f"{made} orders placed")


def _seed_history(engine: Engine, settings: Settings) -> None:
    """Give the demo a past week of visits and settlements unless it already has runs."""
    from yiyang.db import make_session_factory
    from yiyang.demo.assessments import seed_assessments
    from yiyang.demo.history import seed_history
    from yiyang.kit.clock import utcnow

    with make_session_factory(engine)() as session:
        made = seed_history(session, now=utcnow(), settings=settings)
        assessed = seed_assessments(session, now=utcnow())
        session.commit()
    if made:
        typer.echo(f"{made} past visits delivered and settled")
    if assessed:
        typer.echo(f"{assessed} capability assessments on record")


def _demo_settings() -> None:
    """The demo runs over plain http on a laptop: cookies without Secure, no required second
    factor (first-time users are not blocked), and a key kept in the instance folder."""
    os.environ.setdefault("YIYANG_COOKIE_SECURE", "false")
    os.environ.setdefault("YIYANG_TOTP_REQUIRED_ROLES", "")
    get_settings.cache_clear()
    settings = get_settings()
    if not settings.secret_key and not settings.database_url.startswith("sqlite"):
        os.environ["YIYANG_SECRET_KEY"] = instance_secret_key(Path(DEMO_INSTANCE))
        get_settings.cache_clear()


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
    from yiyang.security import repository as security_repository

    _demo_settings()
    settings = get_settings()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    with make_session_factory(engine)() as session:
        existing = session.scalar(select(func.count(Elder.id))) or 0
        accounts = security_repository.first_accounts(session, 20)
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
    _seed_tomorrow(engine, settings)
    _seed_history(engine, settings)
    typer.echo(f"\nOpen http://{host}:{port}/ in a browser.\n")
    if settings.demo_simulator:
        _demo_simulator(engine, settings, f"http://{host}:{port}")
    serve(host=host, port=port, workers=1, with_worker=True)


def _demo_simulator(engine: Engine, settings: Settings, url: str) -> None:
    """A small device simulator posting over HTTP in the background (YIYANG_DEMO_SIMULATOR)."""
    from yiyang.ingest.commands import start_demo_simulator

    if start_demo_simulator(engine, settings, url):
        typer.echo("a device simulator runs in the background (YIYANG_DEMO_SIMULATOR=false: off)")
