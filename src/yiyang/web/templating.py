"""Jinja2 rendering with the request's locale, subject, CSRF token and htmx awareness."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from yiyang.config import PACKAGE_DIR
from yiyang.events.live import HEARTBEAT_S
from yiyang.kit.hours import describe as describe_hours
from yiyang.kit.localtime import local_text
from yiyang.kit.money import fen_to_yuan_str
from yiyang.security.roles import ROLE_LABELS
from yiyang.web.csrf import csrf_token
from yiyang.web.i18n import LOCALES, gettext_for, translate

env = Environment(
    loader=FileSystemLoader(str(PACKAGE_DIR / "templates")),
    autoescape=select_autoescape(["html"]),
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters["yuan"] = fen_to_yuan_str
env.filters["local"] = local_text  # an instant in China time: {{ row.created_at | local }}


def url_with(request: Request, **changes: object) -> str:
    """The current path with some query parameters changed; empty values are dropped."""
    params = {k: v for k, v in request.query_params.multi_items() if k not in changes}
    merged = [(k, v) for k, v in params.items() if v not in ("", None)]
    merged += [(k, str(v)) for k, v in changes.items() if v not in ("", None)]
    return request.url.path + ("?" + urlencode(merged) if merged else "")


env.globals["url_with"] = url_with
env.globals["heartbeat_ms"] = int(HEARTBEAT_S * 1000)  # live pages: a stream quiet for 3 is cut

# Words for the codes domains store (living situations, skills, roles…), filled by each
# domain at import with register_labels, so that web needs no domain to translate a code.
CODE_LABELS: dict[str, str] = dict(ROLE_LABELS)


def register_labels(labels: dict[str, str]) -> None:
    """Add a domain's code → translatable word table to the `label` of every page."""
    CODE_LABELS.update(labels)


def is_htmx(request: Request) -> bool:
    """True when htmx asked for a fragment rather than a whole page."""
    return request.headers.get("hx-request") == "true" and not request.headers.get(
        "hx-history-restore-request"
    )


def time_ago(minutes: int, ngettext: Any) -> str:
    """How long ago, as people say it: minutes within the hour, hours within two days."""
    if minutes < 60:
        return str(ngettext("%(num)s min ago", "%(num)s min ago", minutes) % {"num": minutes})
    hours = minutes // 60
    if hours < 48:
        return str(ngettext("%(num)s hour ago", "%(num)s hours ago", hours) % {"num": hours})
    days = hours // 24
    return str(ngettext("%(num)s day ago", "%(num)s days ago", days) % {"num": days})


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render a whole page, or only its content block when htmx asks for a fragment."""
    locale = getattr(request.state, "locale", None) or request.app.state.settings.default_locale
    gettext, ngettext = gettext_for(locale)
    subject = getattr(request.state, "subject", None)
    session_token = getattr(request.state, "session_token", None)

    def label(code: str | None) -> str:
        if code is None:
            return ""
        source = CODE_LABELS.get(code)
        return translate(locale, source) if source else code

    ctx: dict[str, Any] = {
        "request": request,
        "locale": locale,
        "locales": LOCALES,
        "_": gettext,
        "gettext": gettext,
        "ngettext": ngettext,
        "label": label,
        "ago": lambda minutes: time_ago(minutes, ngettext),
        "opening_hours": lambda hours: describe_hours(hours, gettext),  # type: ignore[arg-type]
        "t": lambda message, **params: translate(locale, message, params),
        "subject": subject,
        "csrf": csrf_token(request.app.state.secret_key, session_token) if session_token else "",
        "partial": is_htmx(request),
        "path": request.url.path,
    }
    if context:
        ctx.update(context)
    html = env.get_template(template).render(ctx)
    return HTMLResponse(html, status_code=status_code, headers=headers)
