"""Build the FastAPI application: API under /api/v1, HTML pages, static assets, docs."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.types import ASGIApp
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

import yiyang.alarms.handling.visit_bridge
import yiyang.alarms.response.tasks
import yiyang.console.alarm_notifications
import yiyang.console.care_notifications
import yiyang.console.notifications  # noqa: F401  (family texts and webhooks subscribe)
from yiyang.alarms import api as alarms_api
from yiyang.alarms import threshold_api as alarm_threshold_api
from yiyang.alarms import threshold_pages as alarm_threshold_pages
from yiyang.alarms.response import api as response_api
from yiyang.alarms.response import duty_pages
from yiyang.alarms.response import pages as response_pages
from yiyang.config import Settings, get_settings, resolve_secret_key
from yiyang.console import (
    alarm_live,
    alarm_pages,
    alarm_supervision,
    assessment_queue,
    audit_api,
    audit_pages,
    caregiver_day,
    continuity_pages,
    elder_devices,
    facility_map,
    family_follow,
    family_home,
    family_pages,
    home,
    order_pages,
    outbox_pages,
    telephony,
    webhook_api,
    webhook_docs,
    work_pages,
)
from yiyang.console.reports import pages as report_pages
from yiyang.console.screen import pages as screen_pages
from yiyang.console.screen import programme_pages
from yiyang.db import make_engine, make_session_factory
from yiyang.devices import api as devices_api
from yiyang.devices import dead_letter_pages
from yiyang.devices import io_pages as devices_io_pages
from yiyang.devices import pages as devices_pages
from yiyang.dispatch import api as dispatch_api
from yiyang.dispatch import pages as dispatch_pages
from yiyang.dispatch import plan_api, plan_pages, whatif_pages
from yiyang.events.live import Hub, listen_url
from yiyang.ingest import http as ingest_http
from yiyang.jobs import api as jobs_api
from yiyang.jobs import pages as jobs_pages
from yiyang.kit.clock import Clock, utcnow
from yiyang.orders import api as orders_api
from yiyang.orders import pages as orders_pages
from yiyang.orders import policy_pages
from yiyang.registry import api as registry_api
from yiyang.registry import pages as registry_pages
from yiyang.registry.accounts import api as accounts_api
from yiyang.security.roles import roles_named
from yiyang.visits import (
    alert_pages,
    card_pages,
    complaint_api,
    complaint_pages,
    export_api,
    return_visit_api,
    return_visit_pages,
)
from yiyang.visits import api as visits_api
from yiyang.visits import pages as visit_pages
from yiyang.visits.payment import api as payment_api
from yiyang.visits.payment import pages as payment_pages
from yiyang.visits.payment import settlement_pages
from yiyang.web import account_pages, auth_api, auth_pages, geo, twofactor_pages
from yiyang.web.errors import API_ERROR_RESPONSES, install_error_handlers
from yiyang.web.headers import SecurityHeaders
from yiyang.web.limits import BodyLimit
from yiyang.web.login_guard import install_login_handlers
from yiyang.web.templating import render
from yiyang.worker import run_forever


class HeaderedApp(FastAPI):
    """FastAPI whose security headers sit outside Starlette's error middleware.

    `add_middleware` would put them inside it, so an unexpected 500 would go out bare.
    """

    def __init__(self, *, https: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.https = https

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack(), https=self.https)


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    clock: Clock = utcnow,
    embedded_worker: bool = False,
) -> FastAPI:
    """Create the web application around one engine and one clock."""
    settings = settings or get_settings()
    engine = engine or make_engine(settings.database_url, pool_size=settings.database_pool_size)
    session_factory = make_session_factory(engine)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        """Run the worker loop inside the web process in the embedded (SQLite) mode."""
        task = (
            asyncio.create_task(run_forever(session_factory, clock, settings))
            if embedded_worker
            else None
        )
        yield
        screen = getattr(_app.state, "screen", None)
        if screen is not None:
            await screen.close()
        await _app.state.hub.close()
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app = HeaderedApp(
        https=settings.cookie_secure,
        lifespan=lifespan,
        title="yiyang 颐养",
        summary="Smart elderly-care service platform for a city district",
        version="0.1.0",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = session_factory
    app.state.clock = clock
    app.state.hub = Hub(dsn=listen_url(engine.url))  # live updates (events/live.py)
    app.state.secret_key = resolve_secret_key(settings)
    app.state.totp_required_roles = roles_named(
        settings.totp_required_roles, "YIYANG_TOTP_REQUIRED_ROLES"
    )

    install_error_handlers(app)
    install_login_handlers(app)
    if settings.trusted_proxies:
        # Only these peers may say who the client is (X-Forwarded-For) and whether it came
        # over HTTPS; cli.py turns uvicorn's own proxy handling off so that both agree.
        app.add_middleware(
            ProxyHeadersMiddleware, trusted_hosts=[str(n) for n in settings.trusted_proxies]
        )
    app.add_middleware(
        BodyLimit, max_bytes=settings.max_body_bytes, upload_bytes=settings.max_import_bytes
    )
    app.mount("/static", StaticFiles(directory=str(settings.static_dir), check_dir=False), "static")

    @app.get("/api/v1/docs", include_in_schema=False)
    def api_docs(request: Request) -> HTMLResponse:
        """Swagger UI from the npm-installed swagger-ui-dist, started by a static script."""
        return render(request, "api_docs.html", {"openapi_url": app.openapi_url})

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        """Liveness probe for the proxy and the tests."""
        return {"status": "ok"}

    app.webhooks.include_router(webhook_docs.router())
    for router in (
        auth_api.router,
        accounts_api.router,
        registry_api.router,
        webhook_api.router,
        orders_api.router,
        dispatch_api.router,
        plan_api.router,
        whatif_pages.api_router,
        export_api.router,  # before /visits/{order_id}
        visits_api.router,
        complaint_api.router,
        return_visit_api.router,
        payment_api.router,
        audit_api.router,
        jobs_api.router,
        alarms_api.router,
        alarm_threshold_api.router,
        response_api.router,
        telephony.api,
        ingest_http.router,
        dead_letter_pages.api_router,
        devices_api.router,
    ):
        # Every JSON route documents the error statuses it may answer (see web/errors.py).
        app.include_router(router, prefix="/api/v1", responses=API_ERROR_RESPONSES)
    for router in (
        auth_pages.router,
        account_pages.router,
        twofactor_pages.router,
        geo.router,
        home.router,
        assessment_queue.router,  # /assessments/due before /assessments/{assessment_id}
        facility_map.router,  # /facilities/map before /facilities/{facility_id}
        registry_pages.router,
        alarm_threshold_pages.router,
    ):
        app.include_router(router)
    for router in (
        order_pages.router,  # /orders/new before the list's /orders/{order_id} neighbours
        orders_pages.router,
        family_pages.router,
        family_home.router,
        family_follow.router,
        caregiver_day.router,
        dispatch_pages.router,
        plan_pages.router,
        whatif_pages.router,
        visit_pages.router,
    ):
        app.include_router(router)
    for router in (
        alert_pages.router,
        payment_pages.router,
        settlement_pages.router,
        card_pages.router,
        outbox_pages.router,
        audit_pages.router,
        jobs_pages.router,
        work_pages.router,
    ):
        app.include_router(router)
    for router in (
        policy_pages.router,
        complaint_pages.router,
        return_visit_pages.router,
        continuity_pages.router,
        response_pages.router,
        duty_pages.router,
        dead_letter_pages.router,
    ):
        app.include_router(router)
    for router in (
        alarm_live.router,
        screen_pages.router,
        programme_pages.router,
        report_pages.router,
        alarm_supervision.router,
        telephony.pages,
        alarm_pages.router,
        devices_io_pages.router,  # /devices/import before /devices/{device_id}
        devices_pages.router,
        elder_devices.router,
    ):
        app.include_router(router)
    return app
