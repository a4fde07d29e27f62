"""Browser fixtures: the real app under uvicorn on 127.0.0.1, its own database, Debian chromium."""

from __future__ import annotations

import logging
import os
import secrets
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from tests.builders import (
    INSIDE,
    INSIDE_2,
    make_area,
    make_catalog_item,
    make_elder,
    make_facility,
    make_provider,
    make_staff,
    make_tree,
    make_user,
)
from yiyang.app import create_app
from yiyang.config import Settings
from yiyang.db import make_engine
from yiyang.migrate import upgrade
from yiyang.security.roles import Role

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
CSP_LOGGER = "yiyang.web.headers"  # where the app logs the violation reports it receives

ELDER_NAMES = [
    "王秀英", "李桂兰", "张建国", "刘淑珍", "陈玉梅", "杨德明", "赵凤英", "黄志强",
    "周翠花", "吴振华", "徐美兰", "孙宝山", "马秀云", "朱国庆", "胡桂芳", "郭长海",
    "何玉兰", "高文华", "林素琴", "罗永福", "郑金凤", "梁德胜", "谢淑华", "宋保国",
]  # fmt: skip
SITUATIONS = ["alone", "empty_nest", "with_spouse", "with_children", "with_relatives"]
GROUPS = [
    ("living_alone",), ("empty_nest",), (), ("disabled",), (), ("lost_only_child",),
    ("no_family", "living_alone"), (), ("severe_disability",), ("left_behind",),
]  # fmt: skip


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder drives chromium: marked `browser` so `-m 'not browser'` skips it."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


@dataclass
class LiveApp:
    """The running app and what the seed put in it."""

    url: str
    users: dict[str, str] = field(default_factory=dict)
    elder_ids: dict[str, int] = field(default_factory=dict)
    facility_id: int = 0
    staff_id: int = 0
    engine: Engine | None = None
    app: FastAPI | None = None
    settings: Settings | None = None
    server: uvicorn.Server | None = None
    thread: threading.Thread | None = None

    def start(self) -> None:
        """Serve on the URL's port (again): after `stop`, a new app, as a restarted process
        would have (nothing kept in memory: the big screen's picture is read afresh)."""
        assert self.settings is not None and self.engine is not None
        if self.app is None:
            self.app = create_app(self.settings, engine=self.engine)
        port = urlsplit(self.url).port
        self.server = uvicorn.Server(
            uvicorn.Config(
                self.app,
                host="127.0.0.1",
                port=port or 0,
                log_level="warning",
                lifespan="off",
                server_header=False,
            )
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert self.server.started, "uvicorn did not start"

    def stop(self) -> None:
        """Stop serving, as a process that exits: open connections (event streams) are cut,
        so browsers see the server go away instead of a stream that says nothing."""
        server, thread = self.server, self.thread
        if server is None or thread is None:
            return
        for conn in list(server.server_state.connections):
            transport = getattr(conn, "transport", None)
            if transport is not None:
                conn.loop.call_soon_threadsafe(transport.close)
        server.should_exit = True
        thread.join(timeout=10)
        self.server = self.thread = None
        self.app = None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _database() -> Iterator[str]:
    """A private database: a temp SQLite file, or a fresh PostgreSQL database dropped after."""
    base = os.environ.get("YIYANG_DATABASE_URL")
    if not base or not base.startswith("postgresql"):
        path = Path(tempfile.mkdtemp(prefix="yiyang-browser-")) / "browser.sqlite3"
        yield f"sqlite:///{path}"
        return
    name = f"yiyang_browser_{secrets.token_hex(4)}"
    admin = make_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def seed(session: Session, live: LiveApp) -> None:
    """A small district: two streets, four communities, elders, providers, facilities, staff."""
    tree = make_tree(session)
    street_c = make_area(session, "410105003", "杜岭街道", "street", tree.district)
    comm_c1 = make_area(session, "410105003001", "杜岭社区", "community", street_c)
    communities = [tree.comm_a1, tree.comm_a2, tree.comm_b1, tree.comm_b2, comm_c1]
    for i, name in enumerate(ELDER_NAMES):
        elder = make_elder(
            session,
            communities[i % len(communities)] if i < 20 else tree.comm_a1,
            name=name,
            born=date(1930 + (i * 7) % 34, 1 + i % 12, 1 + i % 27),
            sex="F" if i % 2 == 0 else "M",
            phone=f"1380000{i:04d}",
            living_situation=SITUATIONS[i % len(SITUATIONS)],
            groups=GROUPS[i % len(GROUPS)],
            lat_lon=INSIDE if i % 2 else INSIDE_2,
        )
        live.elder_ids[name] = elder.id
    kangle = make_provider(session, "颐康养老服务有限公司")
    huiming = make_provider(session, "惠民居家养老服务中心")
    facilities = [
        make_facility(session, tree.street_a, provider=kangle, kind="street_centre", name="北林路街道养老服务中心"),
        make_facility(session, tree.street_a, community=tree.comm_a1, provider=kangle, name="文雅社区日间照料中心"),
        make_facility(session, tree.street_a, community=tree.comm_a2, provider=kangle, name="北林社区日间照料中心"),
        make_facility(session, tree.street_b, provider=huiming, kind="street_centre", name="丰庆路街道养老服务中心"),
        make_facility(session, tree.street_b, community=tree.comm_b1, provider=huiming, name="四月天社区日间照料中心"),
        make_facility(session, tree.street_b, community=tree.comm_b2, provider=huiming, kind="meal_point", name="杲村社区助餐点"),
    ]  # fmt: skip
    live.facility_id = facilities[0].id
    staff_rows = [
        ("刘芳", ("caregiver",), (("cleaning", 3), ("meals", 2))),
        ("赵丽", ("caregiver", "bath_aide"), (("bathing", 4), ("personal_care", 3))),
        ("孙敏", ("nurse",), (("nursing", 4), ("health_check", 4))),
        ("王强", ("driver",), (("driving", 5), ("medical_escort", 3))),
        ("陈静", ("manager", "care_butler"), (("visiting", 4), ("counselling", 2))),
    ]
    for i, (name, roles, skills) in enumerate(staff_rows):
        provider = kangle if i < 3 else huiming
        staff = make_staff(
            session, provider, facility=facilities[0 if i < 3 else 3], name=name,
            phone=f"1370000{i:04d}", roles=roles, skills=skills,
        )  # fmt: skip
        live.staff_id = live.staff_id or staff.id
    make_catalog_item(session, code="CLEAN_2H")
    accounts = {
        "admin": (Role.DISTRICT_ADMIN, {}),
        "street": (Role.STREET_ADMIN, {"area": tree.street_a}),
        "community": (Role.COMMUNITY_STAFF, {"area": tree.comm_a1}),
        "provider": (Role.PROVIDER_ADMIN, {"provider": kangle}),
        "caregiver": (Role.CAREGIVER, {}),
        "auditor": (Role.AUDITOR, {}),
    }
    names = {
        "admin": "张主任", "street": "李站长", "community": "王管家",
        "provider": "赵经理", "caregiver": "刘芳", "auditor": "周督查",
    }  # fmt: skip
    for key, (role, binding) in accounts.items():
        user, _ = make_user(session, role, username=key, **binding)
        user.display_name = names[key]
        live.users[key] = key
    session.flush()


def serve_live_app() -> Iterator[LiveApp]:
    """The whole app served by uvicorn in a thread, on a free port of 127.0.0.1, on its own database."""
    db = _database()
    url = next(db)
    engine = make_engine(url)
    upgrade(engine)
    port = _free_port()
    live = LiveApp(url=f"http://127.0.0.1:{port}", engine=engine)
    with Session(engine) as session:
        seed(session, live)
        session.commit()
    settings = Settings(
        database_url=url,
        secret_key="browser-secret",
        district_code="410105",
        cookie_secure=False,  # plain http on 127.0.0.1
        totp_required_roles=[],  # the account pages' own tests turn it on
    )
    live.settings = settings
    live.app = create_app(settings, engine=engine)
    live.start()
    try:
        yield live
    finally:
        live.stop()
        engine.dispose()
        for _ in db:  # runs the PostgreSQL DROP DATABASE
            pass


@pytest.fixture(scope="session")
def live_app() -> Iterator[LiveApp]:
    """One served app for the modules whose tests leave little behind."""
    yield from serve_live_app()


@pytest.fixture(scope="module")
def own_live_app() -> Iterator[LiveApp]:
    """A served app of the module's own, for tests that fill the district with orders and alerts."""
    yield from serve_live_app()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's chromium driven by Playwright (never `playwright install`)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def keep_local(context: Any) -> list[str]:
    """Abort every request of the context that would leave 127.0.0.1; the list says which."""
    escaped: list[str] = []

    def guard(route: Any) -> None:
        request_url = route.request.url
        host = urlsplit(request_url).hostname
        if request_url.startswith(("data:", "blob:", "about:")) or host in LOCAL_HOSTS:
            route.continue_()
        else:
            escaped.append(request_url)
            route.abort()

    context.route("**/*", guard)
    return escaped


@pytest.fixture
def page(browser: object, live_app: LiveApp) -> Iterator[object]:
    """A fresh browser context in Chinese; any request leaving 127.0.0.1 is aborted and fails."""
    context = browser.new_context(  # type: ignore[attr-defined]
        locale="zh-CN", viewport={"width": 1440, "height": 900}, base_url=live_app.url
    )
    escaped = keep_local(context)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()
    assert not escaped, f"requests left 127.0.0.1: {escaped}"


@pytest.fixture
def csp_reports() -> Iterator[list[logging.LogRecord]]:
    """The Content-Security-Policy violation reports the app logs while a test runs."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger, handler = logging.getLogger(CSP_LOGGER), Keep(logging.INFO)
    logger.addHandler(handler)
    try:
        yield records
    finally:
        logger.removeHandler(handler)


def login(page: object, username: str, password: str | None = None) -> None:
    """Log in through the form and wait for the home page."""
    from tests.builders import PASSWORD

    page.goto("/login")  # type: ignore[attr-defined]
    page.fill("#username", username)  # type: ignore[attr-defined]
    page.fill("#password", password or PASSWORD)  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]
