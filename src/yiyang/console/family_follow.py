"""A family member who follows several elders picks whose care the phone pages show."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from yiyang.console.booking import now_of
from yiyang.errors import N_, NotFound
from yiyang.registry.accounts import family
from yiyang.registry.elders import repository as elder_repository
from yiyang.security.subject import Subject
from yiyang.web.deps import DbSession, FormBody, PageSubject, get_locale

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])


@dataclass(frozen=True)
class Followed:
    """One elder the family member follows, and whether the pages show them now."""

    elder_id: int
    name: str
    community: str
    relationship: str | None
    current: bool


def followed_elders(session: Session, subject: Subject) -> list[Followed]:
    """The elders the caller follows, in the order they were linked (empty for other roles)."""
    links = family.followed(session, subject)
    names = elder_repository.followed(session, [link.elder_id for link in links])
    return [
        Followed(link.elder_id, *names[link.elder_id], link.relationship,
                 link.elder_id == subject.elder_id)
        for link in links
        if link.elder_id in names
    ]  # fmt: skip


@router.post("/m/elder", response_model=None)
def look_at(
    request: Request, db: DbSession, subject: PageSubject, form: FormBody
) -> RedirectResponse:
    """Turn the phone pages to another elder the family member follows."""
    raw = str(form.get("elder_id") or "").strip()
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
        raise NotFound(N_("Elder %(id)s not found."), id=raw[:20])
    family.look_at(db, subject, int(raw), now=now_of(request))
    return RedirectResponse("/m/home", status_code=303)
