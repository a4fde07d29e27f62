"""The app as it answered before issue 8, for bench/requests.py to measure beside today's.

Imported by each uvicorn worker (`uvicorn baseline_asgi:app --workers 2`, bench/ on the
path): the elder search goes back to one OR of every column with an exact count, and every
order placement reads and decodes the district's caregivers again (the kept picture is
never used). Everything else is the product as it is.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_
from sqlalchemy.orm import Session

from yiyang.dispatch import picture
from yiyang.registry.elders import repository, rules, service
from yiyang.registry.elders.models import Elder
from yiyang.security.disclosure import Kind, Viewer, may_see
from yiyang.security.subject import Subject


def matching_before(subject: Subject, q: str) -> ColumnElement[bool]:
    """name LIKE '%q%' OR id_number = q OR phone LIKE '%q%', whatever q is."""
    q = q.strip()
    digits = q.replace(" ", "")
    conditions = [Elder.name.contains(q, autoescape=True)]
    if (number := rules.id_lookup(q)) is not None:
        conditions.append(Elder.id_number == number)
    phone_search = len(digits) >= 4 and digits.isascii() and digits.isdigit()
    if phone_search and may_see(Viewer(subject), Kind.ELDER_PHONE):
        conditions.append(Elder.phone.contains(digits, autoescape=True))
    return or_(*conditions)


def read_every_time(session: Session) -> picture.Picture:
    """Every order reads the caregivers again, as before the picture was kept."""
    return picture.load(session, 0)


def patch() -> None:
    """Put the paths before in place of today's, in this process."""
    repository.matching = matching_before
    service.SEARCH_COUNT_CAP = None  # type: ignore[assignment]  # an exact count(*)
    picture.current = read_every_time


def __getattr__(name: str) -> object:
    """`baseline_asgi:app`: the app with the paths before (patched on first use)."""
    if name != "app":
        raise AttributeError(name)
    patch()
    from yiyang.asgi import app

    return app
