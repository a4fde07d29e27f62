"""The elder's visit card as a page to print, and its preview on the elder's record."""

from __future__ import annotations

import segno
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from yiyang.kit.types import RowId
from yiyang.visits import cards
from yiyang.web.deps import DbSession, PageSubject, get_locale
from yiyang.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])


def qr_svg(code: str, scale: int) -> Markup:
    """The code as an inline SVG QR code (a full QR, never a Micro QR phones cannot read)."""
    qr = segno.make_qr(code, error="m")
    return Markup(qr.svg_inline(scale=scale, border=2, dark="#000", light="#fff"))


def _card(
    request: Request, db: DbSession, subject: PageSubject, elder_id: RowId, *, printing: bool
) -> cards.VisitCard:
    state = request.app.state
    return cards.card_of(
        db, subject, elder_id, secret_key=state.secret_key, now=state.clock(), printing=printing
    )


@router.get("/elders/{elder_id}/visit-card", response_class=HTMLResponse)
def print_card(
    request: Request, db: DbSession, subject: PageSubject, elder_id: RowId
) -> HTMLResponse:
    """The card to print and put up in the elder's home (printing it is audited)."""
    card = _card(request, db, subject, elder_id, printing=True)
    return render(request, "cards/visit_card.html", {"card": card, "qr": qr_svg(card.code, 8)})


@router.get("/elders/{elder_id}/visit-card/preview", response_class=HTMLResponse)
def preview(request: Request, db: DbSession, subject: PageSubject, elder_id: RowId) -> HTMLResponse:
    """A small QR and the code, loaded into the elder's record."""
    card = _card(request, db, subject, elder_id, printing=False)
    return render(request, "cards/_preview.html", {"card": card, "qr": qr_svg(card.code, 3)})
