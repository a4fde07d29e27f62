"""The big screen (大屏): `/screen` for the district, `/screen?street=CODE` for a street centre,
its live stream, and the street outlines it draws (`/geo/streets.geojson`).

Who may look: district admins, street admins (their own street only: another street is
"not found"), supervisors and operators (Perm.SCREEN_VIEW). The page carries no figures of
its own: it opens `/screen/stream`, whose first message is the viewer's snapshot.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from sqlalchemy.orm import Session

from yiyang.alarms.kinds import LABELS as ALARM_LABELS
from yiyang.console.screen import figures
from yiyang.console.screen import repository as queries
from yiyang.console.screen.live import Aggregator
from yiyang.console.screen.view import Streets
from yiyang.errors import N_, NotFound
from yiyang.registry.areas.outlines import streets_geojson
from yiyang.registry.vocab import LABELS as VOCAB_LABELS
from yiyang.registry.vocab import FacilityKind, Skill, SpecialGroup
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject
from yiyang.web.deps import DbSession, Locale, PageSubject, get_locale
from yiyang.web.i18n import translate
from yiyang.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])

STREET_CODE = Query(
    default=None, max_length=12, pattern=r"^\d{9}$", description="a street's 9-digit code"
)
LAYER_LABELS = {
    "all": N_("All elders"),
    "age80": N_("Aged 80 and over"),
    "risk:high": N_("High risk"),
    "risk:key": N_("Key attention"),
}
PHASE_LABELS = {
    "placed": N_("Placed"),
    "dispatched": N_("Dispatched"),
    "on_the_way": N_("On the way"),
    "checked_in": N_("Checked in"),
    "done": N_("Done"),
    "unplaceable": N_("Unplaceable"),
}


def streets_for(
    session: Session, subject: Subject, code: str | None, perm: Perm = Perm.SCREEN_VIEW
) -> tuple[Streets, str | None]:
    """The streets a viewer's screen (or report) shows (None: the district) and the street's
    name: a street admin sees their own street; a street outside the scope is not found."""
    subject.require(perm)
    if code is None:
        if subject.district_wide:
            return None, None
        if subject.street_id is None:
            raise NotFound(N_("This screen shows no street of yours."))
        street_id: int | None = subject.street_id
    else:
        street_id = queries.street_of_code(session, code)
    if street_id is None or not subject.scope.covers(street_id=street_id):
        raise NotFound(N_("No such street in your area."), field="street")
    name = next((n for i, _, n in queries.streets(session) if i == street_id), None)
    return {street_id}, name


def aggregator_of(request: Request) -> Aggregator:
    """The app's one screen aggregator (made on first use, over the app's live hub)."""
    state = request.app.state
    found: Aggregator | None = getattr(state, "screen", None)
    if found is None:
        found = Aggregator(state.session_factory, state.settings, state.clock, state.hub)
        state.screen = found
    return found


def labels(locale: str) -> dict[str, str]:
    """Every code the screen's script names, in the reader's language."""
    codes: dict[str, str] = {}
    for k, v in LAYER_LABELS.items():
        codes[k] = v
    for g in SpecialGroup:
        codes[f"group:{g.value}"] = VOCAB_LABELS.get(g.value, g.value)
    for kind in FacilityKind:
        codes[f"kind:{kind.value}"] = VOCAB_LABELS.get(kind.value, kind.value)
    for skill in Skill:
        codes[f"skill:{skill.value}"] = VOCAB_LABELS.get(skill.value, skill.value)
    codes["skill:general"] = N_("Any caregiver")
    for k, v in PHASE_LABELS.items():
        codes[f"phase:{k}"] = v
    for t, v in ALARM_LABELS.items():
        codes[f"alarm:{t.value}"] = v
    return {k: translate(locale, v) for k, v in codes.items()}


@router.get("/screen", response_class=HTMLResponse)
def screen(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    locale: Locale,
    street: str | None = STREET_CODE,
) -> HTMLResponse:
    """The wall display of the district, or of one street centre."""
    streets, name = streets_for(db, subject, street)
    ctx: dict[str, Any] = {
        "street_name": name,
        "street_code": street if streets is not None else None,
        "stream_url": "/screen/stream" + (f"?street={street}" if street else ""),
        "labels": labels(locale),
        "layers": figures.LAYERS,
        "phases": figures.LIVE_PHASES,
    }
    return render(request, "console/screen.html", ctx)


@router.get("/screen/stream")
async def stream(
    request: Request,
    subject: PageSubject,
    db: DbSession,
    street: str | None = STREET_CODE,
) -> StreamingResponse:
    """The viewer's snapshot, then deltas as orders and alarms move (server-sent events)."""
    streets, _ = streets_for(db, subject, street)
    body = aggregator_of(request).watch(streets)
    return StreamingResponse(
        body,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get("/geo/streets.geojson")
def street_outlines() -> JSONResponse:
    """The 24 street outlines (approximate: Voronoi cells of the streets' anchors)."""
    return JSONResponse(
        streets_geojson(),
        media_type="application/geo+json",
        headers={"Cache-Control": "public, max-age=86400"},
    )
