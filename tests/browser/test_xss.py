"""Script payloads in every filter and form field of every page, as every role that sees it.

The pages are the app's own GET routes; a page's filters are the fields of its GET forms and
the query keys of links back to it. Any dialog, Content-Security-Policy violation (console or
report endpoint), script-bearing attribute, inline script or unescaped echo fails the test.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import pyotp
import pytest
from fastapi.routing import iter_route_contexts
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.browser.conftest import LiveApp, keep_local, login
from tests.browser.probe import Probe
from tests.browser.world import caregiver, carry, centre_near, place, seeded_provider
from tests.browser.xss_alarms import alarm_records
from tests.builders import INSIDE, make_catalog_item, make_user
from yiyang.db import make_session_factory
from yiyang.jobs import runner
from yiyang.kit.clock import utcnow
from yiyang.kit.localtime import local_today
from yiyang.orders.models import ServiceOrder
from yiyang.orders.seed import SPECIAL_DIFFICULTY, seed_policies
from yiyang.registry.assessments import rules as assessment_rules
from yiyang.registry.assessments import service as assessments
from yiyang.registry.assessments.service import AssessmentIn
from yiyang.registry.elders import io_export, io_jobs
from yiyang.registry.elders.models import Elder
from yiyang.registry.elders.schemas import ElderFilter
from yiyang.security import twofactor
from yiyang.security.models import UserAccount
from yiyang.security.roles import Role
from yiyang.security.service import subject_for
from yiyang.security.subject import Subject
from yiyang.visits import alerts, feedback
from yiyang.visits.payment import settlements
from yiyang.visits.payment.schemas import RunCreate
from yiyang.visits.rules import VisitPolicy
from yiyang.visits.schemas import ComplaintIn

pytestmark = pytest.mark.browser

PAYLOADS = (
    "'+alert(1)+'",  # out of a quoted JavaScript (or Alpine) string
    '"><script>alert(1)</script>',  # out of an attribute, into a script element
    "</textarea><img src=x onerror=alert(1)>",  # out of a textarea, into an event handler
    "zq{{7*7}}zq${alert(1)}",  # template syntax: a server or client template evaluating it
    "javascript:alert(1)",  # a URL that runs script if it lands in href or action
    'x-data="alert(1)"',  # an Alpine component written into markup
)
ROLES = (
    "admin", "street", "community", "provider", "auditor",
    "op_xss", "assessor_xss", "carer_xss", "family_xss", "elder_xss", "totp_xss",
)  # fmt: skip
HALFWAY_ROLES = {"totp_xss"}  # signs in with a password, then stays on the second-factor step
PHONE_ROLES = {"carer_xss", "family_xss", "elder_xss"}
# JSON or a download, not HTML.
NOT_PAGES = {
    "/api/v1/openapi.json", "/healthz", "/geo/district.geojson", "/geo/streets.geojson",
    "/settlements/{run_id}/workbook.xlsx", "/devices/import/template.xlsx",
    "/reports/report.xlsx",
    "/console/alarms/stream",  # server-sent events: never done loading (tests/browser/test_alarm_console)
    "/screen/stream",  # server-sent events: never done loading (tests/browser/test_screen)
}  # fmt: skip
SAME_FOR_EVERYONE = {"/api/v1/docs"}  # opened by the first role only

QUERY_KEYS_JS = """
(path) => {
  const keys = new Set(["lang"]);
  for (const form of document.forms) {
    // Attributes, not form.method / form.action: a field named "action" shadows the property.
    const method = (form.getAttribute("method") || "get").toLowerCase();
    const action = new URL(form.getAttribute("action") || location.href, location.href);
    if (method !== "get" || action.pathname !== path) continue;
    for (const el of form.elements) if (el.name) keys.add(el.name);
  }
  for (const el of document.querySelectorAll("[href], [hx-get]")) {
    const url = new URL(el.getAttribute("hx-get") || el.getAttribute("href"), location.href);
    if (url.origin === location.origin && url.pathname === path)
      for (const key of url.searchParams.keys()) keys.add(key);
  }
  return [...keys];
}
"""
LINK_KEYS_JS = """
() => {
  const found = {};
  for (const el of document.querySelectorAll("[href], [hx-get]")) {
    const url = new URL(el.getAttribute("hx-get") || el.getAttribute("href"), location.href);
    if (url.origin !== location.origin) continue;
    found[url.pathname] = [...new Set([...(found[url.pathname] || []), ...url.searchParams.keys()])];
  }
  return found;
}
"""
POST_FORMS = (
    "[...document.forms].filter(f => (f.getAttribute('method') || '').toLowerCase() === 'post'"
    " && new URL(f.getAttribute('action') || location.href, location.href).pathname !== '/logout')"
)
FILL_JS = f"""
([index, payload]) => {{
  const form = {POST_FORMS}[index];
  if (!form) return null;
  form.noValidate = true;
  for (const el of form.elements) {{
    if (!el.name || el.name === "csrf_token" || ["file", "submit", "button"].includes(el.type)) continue;
    el.disabled = false;
    if (el.tagName === "SELECT") {{ const o = new Option(payload, payload); el.add(o); o.selected = true; }}
    else if (el.type === "checkbox" || el.type === "radio") {{ el.value = payload; el.checked = true; }}
    else el.value = payload;
  }}
  return {{confirm: form.dataset.confirm || "", action: form.getAttribute("action")}};
}}
"""
SUBMIT_JS = f"(index) => {{ {POST_FORMS}[index].requestSubmit(); }}"
# Each posted form: its index, its kind (action with ids as N, and its field names) and whether
# it has a field a payload can go in (a form of only a CSRF token has none).
FORM_KINDS_JS = f"""
() => {POST_FORMS}.map((f, i) => {{
  const names = [...f.elements].map(e => e.name).filter(Boolean);
  const fillable = [...f.elements].some(
    e => e.name && e.name !== "csrf_token" && !["file", "submit", "button"].includes(e.type));
  const action = new URL(f.getAttribute("action") || location.href, location.href);
  return [i, action.pathname.replace(/\\d+/g, "N") + " " + names.join(","), fillable];
}})
"""


@dataclass
class XssWorld:
    """Accounts for every role and one record of each kind behind a path parameter.

    `states` are pages in a state that shows more forms (a quote with its confirm button, a
    visit under way, a finished order to rate): every role opens them after the routes.
    """

    params: dict[str, str]
    orders: dict[str, int] = field(default_factory=dict)
    states: list[str] = field(default_factory=list)
    jobs: dict[str, int] = field(default_factory=dict)

    def url(self, path: str) -> str | None:
        """The route's path with its parameters filled in, or None when one is unknown."""
        values = dict(self.params)
        for prefix, order_id in self.orders.items():
            if path.startswith(prefix):
                values["order_id"] = str(order_id)
                break
        for prefix, job_id in self.jobs.items():
            if path.startswith(prefix):
                values["job_id"] = str(job_id)
        if path.startswith("/accounts/"):  # its forms deactivate: not an account that signs in
            values["user_id"] = values["target_user_id"]
        if path.startswith("/lang/"):
            values["code"] = "en"
        if path.startswith("/policies/"):
            values["code"] = SPECIAL_DIFFICULTY
        try:
            return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)
        except KeyError:
            return None


@pytest.fixture(scope="module")
def live_app(own_live_app: LiveApp) -> LiveApp:
    """A served app of this module's own: its orders and alerts stay out of other modules' counts."""
    return own_live_app


@pytest.fixture(scope="module")
def xss_world(live_app: LiveApp) -> XssWorld:
    """Operator, caregiver, family and elder logins; orders at each step of a visit."""
    assert live_app.engine is not None
    now = utcnow()
    with Session(live_app.engine) as s:
        provider = seeded_provider(s)
        elder = s.get_one(Elder, live_app.elder_ids["谢淑华"])
        centre = centre_near(s, provider, elder, "康复服务站")
        staff = caregiver(s, provider, centre, "吴敏", "13700007777", "rehab")
        for code, skill in (("xss_rehab", "rehab"), ("xss_adapt", "home_adaptation")):
            item = make_catalog_item(s, code=code)
            item.name_zh, item.name_en, item.required_skills = "康复训练", "Rehabilitation", [skill]
        _, operator = make_user(s, Role.OPERATOR, username="op_xss")
        _, carer = make_user(s, Role.CAREGIVER, staff_id=staff.id, username="carer_xss")
        make_user(s, Role.FAMILY, elder=elder, username="family_xss")
        make_user(s, Role.ELDER, elder=elder, username="elder_xss")
        tomorrow = local_today(now) + timedelta(days=1)
        offered, accepted, under_way, completed = (
            place(s, operator, elder, "xss_rehab", tomorrow, hour, now=now)
            for hour in (8, 11, 14, 17)
        )
        queued = place(s, operator, elder, "xss_adapt", tomorrow, 19, now=now)
        for order_id, upto in (
            (offered, "assigned"), (accepted, "accepted"), (under_way, "checked_in"),
            (completed, "completed"),
        ):  # fmt: skip
            carry(s, operator, carer, order_id, staff.id, elder, upto=upto, now=now)
        late = s.get_one(ServiceOrder, accepted)
        alerts.raise_alert(s, late, "late", now=now, detail={"minutes_late": 15})
        job_id, import_id = _jobs(s, live_app, now)
        complaint_id, run_id = _complaint_and_run(s, operator, provider.id, completed, now)
        alarm_params, device_import = alarm_records(
            s, live_app, elder, operator, carer, staff, PAYLOADS[1], now=now
        )
        _, assessor = make_user(s, Role.ASSESSOR, username="assessor_xss")
        assessment_id = _assessment(s, assessor, elder, now)
        community = s.scalars(select(UserAccount).where(UserAccount.username == "community")).one()
        target, _ = make_user(s, Role.OPERATOR, username="target_xss")
        _, totp = make_user(s, Role.AUDITOR, username="totp_xss")
        secret = twofactor.begin(s, totp, now=now, issuer="yiyang").secret
        twofactor.confirm(s, totp, pyotp.TOTP(secret).now(), now=now)
        s.commit()
        params = {
            "elder_id": str(elder.id), "facility_id": str(centre.id), "staff_id": str(staff.id),
            "provider_id": str(provider.id), "code": "xss_rehab", "order_id": str(offered),
            "complaint_id": str(complaint_id), "run_id": str(run_id),
            "assessment_id": str(assessment_id), "user_id": str(community.id),
            "target_user_id": str(target.id),
        } | alarm_params  # fmt: skip
    _run_jobs(live_app)
    after = (tomorrow + timedelta(days=1)).isoformat()
    states = [
        "/m/visits?day=tomorrow",
        f"/m/visits/{under_way}",
        f"/m/orders/{completed}",
        f"/orders/new?elder_id={params['elder_id']}&item_code=xss_rehab&date={after}",
        "/m/order/xss_rehab?day=tomorrow&slot=morning",
    ]
    orders = {"/m/visits/": accepted, "/dispatch/orders/": queued, "/m/orders/": offered}
    jobs = {
        "/jobs/": job_id, "/elders/import/jobs/": import_id, "/devices/import/jobs/": device_import,
    }  # fmt: skip
    return XssWorld(params, orders, states, jobs)


def _jobs(session: Session, live_app: LiveApp, now: datetime) -> tuple[int, int]:
    """An export and an import of the district admin's, the import's file named by a payload."""
    assert live_app.app is not None
    admin = session.scalars(select(UserAccount).where(UserAccount.username == "admin")).one()
    subject = subject_for(admin, "127.0.0.1")
    export = io_jobs.submit_export(
        session, subject, ElderFilter(), "csv", now=now, locale="zh_CN", id_lookup_limit=100
    )
    template, _, _ = io_export.template_file(session, subject, "xlsx", now=now, locale="zh_CN")
    upload = io_jobs.submit_import(
        session, subject, template, f"{PAYLOADS[0]}.xlsx", now=now,
        settings=live_app.app.state.settings, locale="zh_CN",
    )  # fmt: skip
    return export.id, upload.id


def _assessment(session: Session, assessor: Subject, elder: Elder, now: datetime) -> int:
    """A capability assessment of the elder, its note a payload."""
    scores = {item.code: item.max_points for item in assessment_rules.ITEMS}
    data = AssessmentIn(scores=scores, note=PAYLOADS[2])
    return assessments.record(session, assessor, elder.id, data, now=now).id


def _complaint_and_run(
    session: Session, operator: Subject, provider_id: int, order_id: int, now: datetime
) -> tuple[int, int]:
    """A complaint written as a payload, the subsidy policies, and a settlement run."""
    seed_policies(session, local_today(now))
    complaint = feedback.file_complaint(
        session, operator, order_id, ComplaintIn(category="quality", text=PAYLOADS[1]), now=now,
        policy=VisitPolicy(),
    )  # fmt: skip
    admin = session.scalars(select(UserAccount).where(UserAccount.username == "admin")).one()
    month = RunCreate(month=local_today(now).strftime("%Y-%m"), provider_id=provider_id)
    runs = settlements.create_runs(
        session, subject_for(admin, "127.0.0.1"), month, now=now, policy=VisitPolicy()
    )
    return complaint.id, runs[0].id


def _run_jobs(live_app: LiveApp) -> None:
    """No worker serves the test app: run the queued jobs here, so their pages show results."""
    assert live_app.engine is not None and live_app.app is not None
    factory, settings = make_session_factory(live_app.engine), live_app.app.state.settings
    while runner.run_next(factory, utcnow, settings, worker="browser-test"):
        pass


def _page_routes(live_app: LiveApp) -> list[str]:
    """Every GET route of the app outside the JSON API (whose routes are in the schema)."""
    assert live_app.app is not None
    return [
        route.path
        for route in iter_route_contexts(live_app.app.routes)
        if "GET" in (route.methods or set())
        and not getattr(route, "include_in_schema", True)
        and route.path not in NOT_PAGES
    ]


@dataclass
class Attack:
    """One run over the app: what was opened by whom, what was attacked, what went wrong.

    Every role opens every page it can (with a payload in `lang`, which every page reads).
    Each distinct set of filters of a page and each kind of posted form is then attacked
    with every payload once, by the first role that meets it.
    """

    world: XssWorld
    routes: list[str]
    seen: dict[str, list[str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    filter_sets: set[tuple[str, frozenset[str]]] = field(default_factory=set)
    form_kinds: set[str] = field(default_factory=set)

    def run_as(self, browser: Any, live_app: LiveApp, role: str) -> None:
        """Log in as `role`, open its pages, attack what nobody attacked yet."""
        context, page, escaped = _tab(browser, live_app, role)
        probe = Probe(page, live_app.url)
        try:
            if role in HALFWAY_ROLES:
                login(page, role)
                page.wait_for_url(re.compile(r"/login/code"))
            elif role != "anonymous":
                login(page, role)
                page.wait_for_url(re.compile(r"^(?!.*/login)"))
            opened = self._open_pages(page, probe, role)
            for url, (keys, _) in opened.items():
                self._attack_filters(page, probe, role, url, keys)
            for url, (_, forms) in opened.items():
                self._attack_forms(page, probe, role, url, forms)
        finally:
            context.close()
        self.problems += probe.problems + [f"request left 127.0.0.1: {u}" for u in escaped]

    def _open_pages(
        self, page: Any, probe: Probe, role: str
    ) -> dict[str, tuple[set[str], list[tuple[int, str]]]]:
        """The pages this role can open, checked, with their query keys and posted forms."""
        opened: dict[str, tuple[set[str], list[tuple[int, str]]]] = {}
        link_keys: dict[str, set[str]] = {}
        for n, path in enumerate(self.routes):
            url = self.world.url(path)
            if url is None or (path in SAME_FOR_EVERYONE and path in self.seen):
                continue
            payload = PAYLOADS[n % len(PAYLOADS)]
            response = page.goto(f"{url}?{urlencode({'lang': payload})}")
            landed = urlsplit(page.url).path
            kind = response.headers.get("content-type", "") if response else ""
            if not response or response.status != 200 or "text/html" not in kind:
                continue
            if landed != url and landed == "/login":  # not for this role: sent to log in
                continue
            probe.settle()
            probe.check(payload, f"{role} {url} (lang)")
            self.seen.setdefault(path, []).append(role)
            forms = [(i, k) for i, k, fillable in page.evaluate(FORM_KINDS_JS) if fillable]
            opened[url] = (set(page.evaluate(QUERY_KEYS_JS, url)), forms)
            for target, keys in page.evaluate(LINK_KEYS_JS).items():
                link_keys.setdefault(target, set()).update(keys)
        for url, (keys, _) in opened.items():
            keys.update(link_keys.get(url, set()))
            keys.discard("lang")  # every page had its payload in lang when it was opened
        for url in self.world.states:  # their filters are those of their route: forms only
            response = page.goto(url)
            if response and response.status == 200 and urlsplit(page.url).path != "/login":
                probe.settle()
                probe.check(None, f"{role} {url}")
                forms = [(i, k) for i, k, fillable in page.evaluate(FORM_KINDS_JS) if fillable]
                opened[url] = (set(), forms)
        return opened

    def _attack_filters(self, page: Any, probe: Probe, role: str, url: str, keys: set[str]) -> None:
        """Each payload in every query parameter at once; htmx filters then reload with it."""
        kind = (re.sub(r"\d+", "N", url), frozenset(keys))
        if not keys or kind in self.filter_sets:
            return
        self.filter_sets.add(kind)
        for payload in PAYLOADS:
            target = f"{url}?{urlencode(dict.fromkeys(sorted(keys), payload))}"
            page.goto(target)
            probe.settle()
            page.evaluate(
                "() => window.htmx && [...document.forms].filter(f => f.hasAttribute('hx-get'))"
                ".forEach(f => htmx.trigger(f, 'change'))"
            )
            probe.settle()
            probe.check(payload, f"{role} {target}")

    def _attack_forms(
        self, page: Any, probe: Probe, role: str, url: str, forms: list[tuple[int, str]]
    ) -> None:
        """Each payload in every field of each new kind of posted form on the page, sent."""
        for index, kind in forms:
            if kind in self.form_kinds or (kind.startswith("/login ") and role != "anonymous"):
                continue  # the login form waits for anonymous, whose failed logins come last
            self.form_kinds.add(kind)
            for payload in PAYLOADS:
                if not self._send(page, probe, url, index, payload, f"{role} {url} {kind}"):
                    break

    def _send(
        self, page: Any, probe: Probe, url: str, index: int, payload: str, where: str
    ) -> bool:
        """Fill form `index` of a fresh `url` with the payload and send it; False if it is gone."""
        page.goto(url)
        probe.settle()
        form = page.evaluate(FILL_JS, [index, payload])
        if form is None:  # an earlier submission changed the record: the form is gone
            return False
        if form["confirm"]:
            probe.expected_confirms.add(form["confirm"])
            page.evaluate(SUBMIT_JS, index)  # the test dismisses the question: nothing is sent
        else:
            try:
                with page.expect_navigation(timeout=15_000):
                    page.evaluate(SUBMIT_JS, index)
            except PlaywrightTimeout:
                probe.problems.append(f"{where} with {payload!r}: the form was not sent")
                return True
        probe.settle()
        probe.check(payload, f"{where} with {payload!r}")
        return True


def _tab(browser: Any, live_app: LiveApp, role: str) -> tuple[Any, Any, list[str]]:
    """A fresh context for one role (a phone for the phone roles), kept on 127.0.0.1."""
    phone = role in PHONE_ROLES
    context = browser.new_context(
        locale="zh-CN", base_url=live_app.url, is_mobile=phone, has_touch=phone,
        viewport={"width": 390, "height": 844} if phone else {"width": 1280, "height": 900},
        geolocation={"latitude": INSIDE[0], "longitude": INSIDE[1], "accuracy": 20},
        permissions=["geolocation"],
    )  # fmt: skip
    escaped = keep_local(context)
    return context, context.new_page(), escaped


def test_no_script_payload_runs_on_any_page(
    browser: Any, live_app: LiveApp, xss_world: XssWorld, csp_reports: list[logging.LogRecord]
) -> None:
    attack = Attack(xss_world, _page_routes(live_app))
    for role in (*ROLES, "anonymous"):  # anonymous last: its failed logins count against 127.0.0.1
        attack.run_as(browser, live_app, role)
    unseen = [path for path in attack.routes if path not in attack.seen]
    problems = list(dict.fromkeys(attack.problems))
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)
    assert not [r.getMessage() for r in csp_reports]
    assert not unseen, f"pages no role could open (give the test a record for them): {unseen}"
    assert len(attack.form_kinds) >= 18 and len(attack.filter_sets) >= 15  # the probe got there
