"""Security and cache headers on every kind of response, and the CSP report endpoint."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tests.builders import PASSWORD, make_tree, make_user
from tests.conftest import FakeClock
from yiyang import cli
from yiyang.app import create_app
from yiyang.config import Settings, get_settings
from yiyang.security.roles import Role
from yiyang.web.deps import get_db
from yiyang.web.headers import REPORT_PATH, SecurityHeaders

EVERYWHERE = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "permissions-policy": "camera=(self), geolocation=(self), microphone=(), payment=(), usb=()",
}
POLICY = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    f"report-uri {REPORT_PATH}",
]


def assert_secure(resp: httpx.Response, *, cached: bool = False) -> None:
    """Every security header is there; personal data is never stored by the browser."""
    for name, value in EVERYWHERE.items():
        assert resp.headers.get(name) == value, (resp.request.url, name)
    directives = [d.strip() for d in resp.headers["content-security-policy"].split(";")]
    assert directives == POLICY
    assert "unsafe" not in resp.headers["content-security-policy"]
    assert "server" not in resp.headers
    for https_only in ("strict-transport-security", "reporting-endpoints"):
        assert https_only not in resp.headers  # the cookie is not Secure: plain HTTP
    if cached:
        assert "no-store" not in resp.headers.get("cache-control", "")
    else:
        assert resp.headers["cache-control"] == "no-store"


@pytest.fixture
def admin(db: Session) -> str:
    user, _ = make_user(db, Role.DISTRICT_ADMIN, username="headers_admin")
    make_tree(db)
    return user.username


def _bearer(client: TestClient, username: str) -> dict[str, str]:
    resp = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert_secure(resp)
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def test_pages_carry_every_header(client: TestClient, admin: str) -> None:
    assert_secure(client.get("/login"))
    resp = client.post("/login", data={"username": admin, "password": PASSWORD})
    assert resp.status_code == 200 and resp.url.path == "/"  # followed the 303
    assert_secure(resp.history[0])
    assert_secure(resp)
    assert_secure(client.get("/elders"))
    fragment = client.get("/elders", headers={"HX-Request": "true", "HX-Target": "results"})
    assert "<html" not in fragment.text
    assert_secure(fragment)


def test_api_responses_and_errors_carry_every_header(client: TestClient, admin: str) -> None:
    headers = _bearer(client, admin)
    listed = client.get("/api/v1/elders", headers=headers)
    assert listed.status_code == 200 and listed.headers["content-type"] == "application/json"
    assert_secure(listed)
    missing = client.get("/api/v1/elders/999999", headers=headers)
    assert missing.status_code == 404
    assert_secure(missing)
    refused = client.get("/api/v1/orders", params={"status": "lost"}, headers=headers)
    assert refused.status_code == 422
    assert_secure(refused)
    assert_secure(client.get("/api/v1/openapi.json"))
    page_404 = client.get("/no-such-page")
    assert page_404.status_code == 404
    assert_secure(page_404)


def test_redirects_carry_every_header(client: TestClient) -> None:
    resp = client.get("/elders", follow_redirects=False)
    assert resp.status_code in (302, 303, 307) and "/login" in resp.headers["location"]
    assert_secure(resp)
    lang = client.get("/lang/en?next=/login", follow_redirects=False)
    assert lang.status_code == 303
    assert_secure(lang)


def test_static_files_may_be_cached_and_keep_the_other_headers(client: TestClient) -> None:
    resp = client.get("/static/app.css")
    assert resp.status_code == 200 and "text/css" in resp.headers["content-type"]
    assert_secure(resp, cached=True)
    assert "last-modified" in resp.headers or "etag" in resp.headers


def test_the_api_docs_page_has_no_inline_script_and_keeps_script_src_self(
    client: TestClient,
) -> None:
    resp = client.get("/api/v1/docs")
    assert resp.status_code == 200
    policy = resp.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe-eval" not in policy
    assert "<script>" not in resp.text and "<script src=" in resp.text


def test_hsts_and_the_reporting_api_only_when_the_session_cookie_is_secure(
    engine: Engine, db: Session, clock: FakeClock
) -> None:
    app = create_app(
        Settings(secret_key="test-secret", district_code="410105", cookie_secure=True),
        engine=engine,
        clock=clock,
    )
    app.dependency_overrides[get_db] = lambda: db
    with TestClient(app, base_url="https://127.0.0.1") as secure:
        for resp in (secure.get("/login"), secure.get("/static/app.css")):
            hsts = resp.headers["strict-transport-security"]
            assert hsts == "max-age=31536000; includeSubDomains"
            assert resp.headers["reporting-endpoints"] == f'csp="{REPORT_PATH}"'
            policy = resp.headers["content-security-policy"]
            assert policy.endswith(f"; report-uri {REPORT_PATH}; report-to csp")


def test_a_server_error_carries_every_header_too(
    engine: Engine, db: Session, clock: FakeClock
) -> None:
    settings = Settings(secret_key="test-secret", district_code="410105", cookie_secure=False)
    app = create_app(settings, engine=engine, clock=clock)
    app.dependency_overrides[get_db] = lambda: db

    @app.get("/api/v1/broken")
    def broken() -> None:
        raise RuntimeError("a bug")

    with TestClient(app, raise_server_exceptions=False) as plain:
        resp = plain.get("/api/v1/broken")
    assert resp.status_code == 500 and "a bug" not in resp.text
    assert_secure(resp)


def test_the_app_never_announces_its_server() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"server", b"x")]})
        await send({"type": "http.response.body", "body": b"ok"})

    resp = TestClient(SecurityHeaders(app)).get("/")  # no `with`: this app has no lifespan
    assert resp.text == "ok" and "server" not in resp.headers


def test_serve_starts_uvicorn_without_its_server_header(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []
    monkeypatch.setenv("YIYANG_EMBEDDED_WORKER", "0")  # serve() sets it; restored after
    monkeypatch.setenv("YIYANG_SECRET_KEY", "headers-test-secret")  # PostgreSQL requires one
    monkeypatch.setattr("yiyang.cli.run_server", calls.append)
    get_settings.cache_clear()  # the settings of this environment, forgotten again after
    try:
        cli.serve(host="127.0.0.1", port=8123, workers=1, with_worker=False)
    finally:
        get_settings.cache_clear()
    assert calls and calls[0].server_header is False


@pytest.fixture
def reports(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.WARNING, logger="yiyang.web.headers"):
        yield caplog


def test_violation_reports_are_logged_without_query_strings(
    client: TestClient, reports: pytest.LogCaptureFixture
) -> None:
    legacy = {
        "csp-report": {
            "document-uri": "http://127.0.0.1/elders?q=410105194503081234",
            "violated-directive": "script-src-elem",
            "effective-directive": "script-src-elem",
            "blocked-uri": "inline",
            "source-file": "http://127.0.0.1/elders?q=410105194503081234",
            "line-number": 12,
        }
    }
    resp = client.post(
        REPORT_PATH, content=json.dumps(legacy), headers={"content-type": "application/csp-report"}
    )
    assert resp.status_code == 204
    assert_secure(resp)
    modern = [
        {"type": "deprecation", "body": {"id": "x"}},
        {
            "type": "csp-violation",
            "url": "http://127.0.0.1/",
            "body": {
                "documentURL": "http://127.0.0.1/?lang=en",
                "effectiveDirective": "style-src-attr",
                "blockedURL": "inline",
                "sourceFile": "http://127.0.0.1/static/ui.js",
                "lineNumber": 3,
            },
        },
    ]
    resp = client.post(
        REPORT_PATH,
        content=json.dumps(modern),
        headers={"content-type": "application/reports+json"},
    )
    assert resp.status_code == 204
    messages = [r.getMessage() for r in reports.records]
    assert messages == [
        "CSP violation: script-src-elem blocked inline on http://127.0.0.1/elders"
        " (http://127.0.0.1/elders:12)",
        "CSP violation: style-src-attr blocked inline on http://127.0.0.1/"
        " (http://127.0.0.1/static/ui.js:3)",
    ]
    assert "410105194503081234" not in " ".join(messages)


def test_a_report_cannot_forge_log_lines(
    client: TestClient, reports: pytest.LogCaptureFixture
) -> None:
    forged = {"csp-report": {"violated-directive": "x\nCSP violation: all clear", "blocked-uri": 7}}
    assert client.post(REPORT_PATH, content=json.dumps(forged)).status_code == 204
    (message,) = [r.getMessage() for r in reports.records]
    assert "\n" not in message and message.startswith("CSP violation: x?CSP violation")


def test_bad_reports_are_refused(client: TestClient, reports: pytest.LogCaptureFixture) -> None:
    assert client.get(REPORT_PATH).status_code == 405
    assert client.post(REPORT_PATH, content=b"not json").status_code == 400
    assert client.post(REPORT_PATH, content=b'{"other": 1}').status_code == 400
    assert client.post(REPORT_PATH, content=b"[" + b" " * 70_000 + b"]").status_code == 413
    assert reports.records == []


def test_the_parts_a_page_loads_later_come_in_the_pages_language(client: TestClient) -> None:
    """A page opened with ?lang=en asks for its htmx fragments in English, not in the
    browser's own language."""
    english = client.get("/login?lang=en", headers={"accept-language": "zh-CN"})
    assert '"Accept-Language": "en"' in english.text
    chinese = client.get("/login", headers={"accept-language": "zh-CN"})
    assert '"Accept-Language": "zh-CN"' in chinese.text
