"""The app as it answered before issue 8, for bench/requests.py to measure beside today's.

Imported by each uvicorn worker (`uvicorn baseline_asgi:app --workers 2`, bench/ on the
path): the elder search goes back to one OR of every column with an exact count, and every
order placement reads and decodes the district's caregivers again (the kept picture is
never used). The list pages go back to theirs before issue 8 §4: exact counts of elders
and orders, every order column and its joined rows' columns loaded, the pager looking at
every page number, the filters' choices read as ORM rows (providers and items through their
list services, with counts and prices); each process keeps SQLAlchemy's default pool of
five connections. Everything else is the product as it is.
"""

from __future__ import annotations

import os
from typing import Any

from jinja2 import ChoiceLoader, DictLoader
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from yiyang.dispatch import picture
from yiyang.kit.clock import utcnow
from yiyang.kit.pagination import PageParams
from yiyang.orders import repository as order_repository
from yiyang.orders import service as order_service
from yiyang.registry.areas import service as areas_service
from yiyang.registry.areas.models import Area
from yiyang.registry.catalog import service as catalog_service
from yiyang.registry.catalog.schemas import ItemFilter
from yiyang.registry.elders import repository, rules, service
from yiyang.registry.elders.models import Elder
from yiyang.registry.providers import service as provider_service
from yiyang.registry.providers.schemas import ProviderFilter
from yiyang.security.disclosure import Kind, Viewer, may_see
from yiyang.security.scope import Binding
from yiyang.security.subject import Subject
from yiyang.web.templating import env

# The pager's loop before: every page number from 1 to the last, each tested.
PAGER_NOW = (
    "{% for n in ([1, 2, last - 1, last] + range(page.page - 2, page.page + 3) | list)"
    " | unique | sort if 1 <= n <= last %}"
)
PAGER_BEFORE = "{% for n in range(1, last + 1) %}"


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


def _areas(session: Session, level: str) -> list[Area]:
    return list(session.scalars(select(Area).where(Area.level == level).order_by(Area.code)))


def area_choices_before(session: Session, subject: Subject) -> list[Any]:
    """Streets and communities as ORM rows, two queries, whatever the caller's scope."""
    scope = subject.scope
    streets = [
        street
        for street in _areas(session, "street")
        if scope.district_wide or scope.binding in (Binding.STREET, Binding.COMMUNITY)
    ]
    by_street: dict[int | None, list[Area]] = {}
    for community in _areas(session, "community"):
        by_street.setdefault(community.parent_id, []).append(community)
    choices = []
    for street in streets:
        communities = [
            c
            for c in by_street.get(street.id, [])
            if scope.covers(street_id=street.id, community_id=c.id)
        ]
        if communities or scope.covers(street_id=street.id):
            choices.append(areas_service.StreetChoice(street, communities))  # type: ignore[arg-type]
    return choices


def provider_choices_before(session: Session, subject: Subject) -> list[Any]:
    """Providers through their list service: a count and every column of up to 500."""
    page = PageParams(page=1, size=500)
    return provider_service.list_providers(
        session,
        subject,
        ProviderFilter(),
        page,
        now=None,  # type: ignore[arg-type]
    ).items


def item_choices_before(session: Session, subject: Subject) -> list[Any]:
    """Items through the catalog's list, with categories and the prices in force today."""
    return catalog_service.list_items(session, subject, ItemFilter(), now=utcnow())


def pager_before() -> None:
    """The templates with the pager's loop over every page number."""
    source, _, _ = env.loader.get_source(env, "_macros.html")  # type: ignore[union-attr]
    if PAGER_BEFORE in source:  # patched already (uvicorn may ask for `app` twice)
        return
    assert PAGER_NOW in source, "the pager's loop changed: update bench/baseline_asgi.py"
    before = DictLoader({"_macros.html": source.replace(PAGER_NOW, PAGER_BEFORE)})
    env.loader = ChoiceLoader([before, env.loader])  # type: ignore[list-item]


def patch() -> None:
    """Put the paths before in place of today's, in this process."""
    repository.matching = matching_before
    service.SEARCH_COUNT_CAP = None  # type: ignore[assignment]  # an exact count(*)
    service.LIST_COUNT_CAP = None  # type: ignore[assignment]  # and for the list too
    order_service.COUNT_CAP = 2**62  # a LIMIT past any table: an exact count(*)
    order_repository.PAGE_LOADS = order_repository.LIST_LOADS  # type: ignore[assignment]
    areas_service.area_choices = area_choices_before  # type: ignore[assignment]
    provider_service.provider_choices = provider_choices_before  # type: ignore[assignment]
    catalog_service.item_choices = item_choices_before  # type: ignore[assignment]
    pager_before()
    os.environ["YIYANG_DATABASE_POOL_SIZE"] = "5"  # SQLAlchemy's default pool, as before
    picture.current = read_every_time


def __getattr__(name: str) -> object:
    """`baseline_asgi:app`: the app with the paths before (patched on first use)."""
    if name != "app":
        raise AttributeError(name)
    patch()
    from yiyang.asgi import app

    return app
