"""Every query on orders; the one place where their data scope is applied."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import ColumnElement, ScalarSelect, Select, and_, false, func, or_, select
from sqlalchemy.orm import Session, joinedload, load_only

from yiyang.errors import N_, NotFound
from yiyang.kit.pagination import PageParams
from yiyang.kit.types import parse_row_id
from yiyang.orders.models import OrderEvent, RecurringOrder, ServiceOrder, SubsidyPolicy
from yiyang.orders.rules import COUNTS_FOR_QUOTA, WITHOUT_CAREGIVER
from yiyang.orders.schemas import OrderFilter
from yiyang.orders.subsidy_rules import PolicyFacts, Usage
from yiyang.registry.areas.models import Area
from yiyang.registry.catalog.models import ServiceItem
from yiyang.registry.elders.models import Elder
from yiyang.registry.facilities.models import Facility
from yiyang.registry.providers.models import Provider
from yiyang.registry.staff.models import Staff
from yiyang.security.models import UserAccount
from yiyang.security.roles import Role
from yiyang.security.subject import Subject

# A caregiver sees an order once the organisation has passed it on (not while only proposed).
PROPOSED = "proposed"


def readable(subject: Subject) -> Select[tuple[ServiceOrder]]:
    """Orders the subject may see: district-wide; by the elder's area; own provider; own."""
    return select(ServiceOrder).where(
        subject.scope.where(
            provider=ServiceOrder.provider_id,
            # A caregiver sees an order once its provider handed it on, not while proposed.
            staff=lambda staff_id: and_(
                ServiceOrder.staff_id == staff_id,
                ServiceOrder.caregiver_status.is_distinct_from(PROPOSED),
            ),
            elder=ServiceOrder.elder_id,
            street=lambda street_id: ServiceOrder.elder_id.in_(
                select(Elder.id).where(Elder.street_id == street_id)
            ),
            community=lambda community_id: ServiceOrder.elder_id.in_(
                select(Elder.id).where(Elder.community_id == community_id)
            ),
        )
    )


# What an order list row shows: the elder with their areas, the item, provider, caregiver
# and the caregiver's centre.
LIST_LOADS = (
    joinedload(ServiceOrder.elder).joinedload(Elder.street),
    joinedload(ServiceOrder.elder).joinedload(Elder.community),
    joinedload(ServiceOrder.item),
    joinedload(ServiceOrder.provider),
    joinedload(ServiceOrder.staff).joinedload(Staff.facility),
)


# The same, narrowed to the columns a list row shows (service.list_values): a page of 25
# orders reads some 35 columns, not 130 with four JSON ones to decode. Another column would
# load row by row (tests/web/test_list_queries.py counts the statements).
_ROW = (
    ServiceOrder.elder_id, ServiceOrder.item_id, ServiceOrder.channel,
    ServiceOrder.window_start_at, ServiceOrder.window_end_at, ServiceOrder.service_date,
    ServiceOrder.status, ServiceOrder.provider_id, ServiceOrder.provider_status,
    ServiceOrder.staff_id, ServiceOrder.caregiver_status, ServiceOrder.price_fen,
    ServiceOrder.government_fen, ServiceOrder.elder_fen, ServiceOrder.created_at,
    ServiceOrder.planned_start_at,
)  # fmt: skip
_ELDER = joinedload(ServiceOrder.elder).load_only(Elder.name, Elder.street_id, Elder.community_id)
_STAFF = joinedload(ServiceOrder.staff).load_only(Staff.name, Staff.facility_id)
PAGE_LOADS = (
    load_only(*_ROW),
    _ELDER.joinedload(Elder.street).load_only(Area.name),
    _ELDER.joinedload(Elder.community).load_only(Area.name),
    joinedload(ServiceOrder.item).load_only(
        ServiceItem.code, ServiceItem.name_zh, ServiceItem.name_en
    ),
    joinedload(ServiceOrder.provider).load_only(Provider.name),
    _STAFF.joinedload(Staff.facility).load_only(Facility.name, Facility.phone, Facility.street_id),
)


def _loaded(stmt: Select[tuple[ServiceOrder]]) -> Select[tuple[ServiceOrder]]:
    return stmt.options(*LIST_LOADS)


def get(session: Session, subject: Subject, order_id: int, *, lock: bool = False) -> ServiceOrder:
    """One readable order (elder and item loaded), optionally locked FOR UPDATE, or NotFound."""
    if lock:
        # Lock the bare order row first: the caller then sees the committed, current status.
        session.scalar(select(ServiceOrder.id).where(ServiceOrder.id == order_id).with_for_update())
    stmt = readable(subject).where(ServiceOrder.id == order_id)
    order = session.scalar(_loaded(stmt).execution_options(populate_existing=True))
    if order is None:
        raise NotFound(N_("Order %(id)s not found."), id=order_id)
    return order


def _area_id(code: str) -> ScalarSelect[int]:
    return select(Area.id).where(Area.code == code).scalar_subquery()


def _elder_conditions(flt: OrderFilter) -> list[ColumnElement[bool]]:
    """What the filter asks of the elder's street and community."""
    conditions: list[ColumnElement[bool]] = []
    if flt.street_code:
        conditions.append(Elder.street_id == _area_id(flt.street_code))
    if flt.community_code:
        conditions.append(Elder.community_id == _area_id(flt.community_code))
    return conditions


def _served_from_another_street() -> ColumnElement[bool]:
    """The order's caregiver is based at a centre in another street than the elder's."""
    return (
        select(Staff.id)
        .join(Facility, Facility.id == Staff.facility_id)
        .join(Elder, Elder.id == ServiceOrder.elder_id)
        .where(Staff.id == ServiceOrder.staff_id, Facility.street_id != Elder.street_id)
        .correlate(ServiceOrder)
        .exists()
    )


def filtered(subject: Subject, flt: OrderFilter) -> Select[tuple[ServiceOrder]]:
    """The readable orders narrowed by a filter; an area outside the scope matches nothing."""
    stmt = readable(subject)
    if elder_conditions := _elder_conditions(flt):
        stmt = stmt.where(ServiceOrder.elder_id.in_(select(Elder.id).where(*elder_conditions)))
    if flt.q and (q := flt.q.strip()):
        by_name = ServiceOrder.elder_id.in_(
            select(Elder.id).where(Elder.name.contains(q, autoescape=True))
        )
        if (number := parse_row_id(q.lstrip("#"))) is not None:  # not "²", nor past BIGINT
            stmt = stmt.where(or_(ServiceOrder.id == number, by_name))
        else:
            stmt = stmt.where(by_name)
    if flt.status:
        stmt = stmt.where(ServiceOrder.status == str(flt.status))
    if flt.unassigned:
        stmt = stmt.where(ServiceOrder.status.in_([str(s) for s in WITHOUT_CAREGIVER]))
    if flt.cross_street:
        stmt = stmt.where(_served_from_another_street())
    if flt.item_code:
        stmt = stmt.where(
            ServiceOrder.item_id
            == select(ServiceItem.id).where(ServiceItem.code == flt.item_code).scalar_subquery()
        )
    if flt.channel:
        stmt = stmt.where(ServiceOrder.channel == str(flt.channel))
    if flt.elder_id is not None:
        stmt = stmt.where(ServiceOrder.elder_id == flt.elder_id)
    if flt.provider_id is not None:
        stmt = stmt.where(ServiceOrder.provider_id == flt.provider_id)
    if flt.staff_id is not None:
        stmt = stmt.where(ServiceOrder.staff_id == flt.staff_id)
    if flt.service_date is not None:
        stmt = stmt.where(ServiceOrder.service_date == flt.service_date)
    if flt.date_from is not None:
        stmt = stmt.where(ServiceOrder.service_date >= flt.date_from)
    if flt.date_to is not None:
        stmt = stmt.where(ServiceOrder.service_date <= flt.date_to)
    return stmt


def search(
    session: Session, subject: Subject, flt: OrderFilter, page: PageParams, *, count_cap: int
) -> tuple[list[ServiceOrder], int, bool]:
    """One page of matching orders (newest window first), the count up to `count_cap`, and
    whether more match than counted."""
    stmt = filtered(subject, flt)
    upto = stmt.with_only_columns(ServiceOrder.id).order_by(None).limit(count_cap + 1)
    n = session.scalar(select(func.count()).select_from(upto.subquery())) or 0
    rows = session.scalars(
        stmt.options(*PAGE_LOADS)
        .order_by(ServiceOrder.window_start_at.desc(), ServiceOrder.id.desc())
        .offset(page.offset)
        .limit(page.size)
    ).all()
    return list(rows), min(n, count_cap), n > count_cap


def by_idempotency_key(session: Session, user_id: int | None, key: str) -> ServiceOrder | None:
    """The order this creator already submitted under this key (any scope: it is theirs)."""
    stmt = select(ServiceOrder).where(ServiceOrder.idempotency_key == key)
    stmt = stmt.where(
        ServiceOrder.created_by_id.is_(None)
        if user_id is None
        else ServiceOrder.created_by_id == user_id
    )
    return session.scalar(stmt)


def policies(session: Session) -> list[PolicyFacts]:
    """Every active subsidy policy version as plain values (rules pick the one in force)."""
    rows = session.scalars(select(SubsidyPolicy).where(SubsidyPolicy.active.is_(True))).all()
    return [to_facts(p) for p in rows]


def to_facts(p: SubsidyPolicy) -> PolicyFacts:
    """A policy row as the pure rules see it."""
    return PolicyFacts(
        id=p.id,
        code=p.code,
        name=p.name,
        name_en=p.name_en,
        retired=p.retired,
        effective_date=p.effective_date,
        end_date=p.end_date,
        eligibility=tuple(p.eligibility or ()),
        item_codes=frozenset(p.item_codes or ()),
        share_percent=p.share_percent,
        per_order_cap_fen=p.per_order_cap_fen,
        monthly_quota_fen=p.monthly_quota_fen,
        monthly_quota_count=p.monthly_quota_count,
        weekly_quota_count=p.weekly_quota_count,
        priority=p.priority,
    )


def usage(
    session: Session, elder_id: int, day: date, *, exclude_order_id: int | None = None
) -> dict[str, Usage]:
    """Government money and subsidised orders per policy code in `day`'s month and week."""
    month_start = day.replace(day=1)
    month_end = (month_start + timedelta(days=32)).replace(day=1)
    week_start = day - timedelta(days=day.weekday())
    week_end = week_start + timedelta(days=7)
    lo, hi = min(month_start, week_start), max(month_end, week_end)
    stmt = (
        select(SubsidyPolicy.code, ServiceOrder.service_date, ServiceOrder.government_fen)
        .join(SubsidyPolicy, SubsidyPolicy.id == ServiceOrder.policy_id)
        .where(
            ServiceOrder.elder_id == elder_id,
            ServiceOrder.government_fen > 0,
            ServiceOrder.status.in_([str(s) for s in COUNTS_FOR_QUOTA]),
            ServiceOrder.service_date >= lo,
            ServiceOrder.service_date < hi,
        )
    )
    if exclude_order_id is not None:
        stmt = stmt.where(ServiceOrder.id != exclude_order_id)
    totals: dict[str, list[int]] = {}
    for code, service_date, gov in session.execute(stmt):
        t = totals.setdefault(code, [0, 0, 0])
        if month_start <= service_date < month_end:
            t[0] += gov
            t[1] += 1
        if week_start <= service_date < week_end:
            t[2] += 1
    return {code: Usage(t[0], t[1], t[2]) for code, t in totals.items()}


def recurring_readable(subject: Subject) -> Select[tuple[RecurringOrder]]:
    """Standing orders the subject may see: those of elders it may order for."""
    stmt = select(RecurringOrder)
    if subject.district_wide:
        return stmt
    if subject.role in (Role.ELDER, Role.FAMILY) and subject.elder_id is not None:
        return stmt.where(RecurringOrder.elder_id == subject.elder_id)
    if subject.community_id is not None:
        return stmt.join(Elder, Elder.id == RecurringOrder.elder_id).where(
            Elder.community_id == subject.community_id
        )
    if subject.street_id is not None:
        return stmt.join(Elder, Elder.id == RecurringOrder.elder_id).where(
            Elder.street_id == subject.street_id
        )
    return stmt.where(false())


def get_recurring(session: Session, subject: Subject, recurring_id: int) -> RecurringOrder:
    """One readable standing order, or NotFound."""
    found = session.scalar(recurring_readable(subject).where(RecurringOrder.id == recurring_id))
    if found is None:
        raise NotFound(N_("Recurring order %(id)s not found."), id=recurring_id)
    return found


def timeline(session: Session, order_id: int) -> list[OrderEvent]:
    """Every timeline row of an order, oldest first (the caller checked scope)."""
    stmt = select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id)
    return list(session.scalars(stmt))


def recurring_running(
    session: Session, day: date, *, recurring_id: int | None = None
) -> list[RecurringOrder]:
    """Active standing orders of served elders that have started by a day, with their item."""
    stmt = (
        select(RecurringOrder)
        .join(Elder, Elder.id == RecurringOrder.elder_id)
        .where(
            RecurringOrder.active.is_(True),
            RecurringOrder.start_date <= day,
            Elder.status == "active",
        )
        .options(joinedload(RecurringOrder.item))
        .order_by(RecurringOrder.id)
    )
    if recurring_id is not None:
        stmt = stmt.where(RecurringOrder.id == recurring_id)
    return list(session.scalars(stmt))


def recurring_made_on(session: Session, recurring_id: int, day: date) -> bool:
    """Whether a standing order already produced its order for a day."""
    stmt = select(ServiceOrder.id).where(
        ServiceOrder.recurring_id == recurring_id, ServiceOrder.service_date == day
    )
    return session.scalar(stmt.limit(1)) is not None


def actor_providers(session: Session, order_id: int) -> dict[int, int | None]:
    """The provider of each account that moved this order (a caregiver's: their employer's)."""
    rows = session.execute(
        select(UserAccount.id, func.coalesce(Staff.provider_id, UserAccount.provider_id))
        .outerjoin(Staff, Staff.id == UserAccount.staff_id)
        .where(
            UserAccount.id.in_(
                select(OrderEvent.actor_user_id).where(OrderEvent.order_id == order_id)
            )
        )
    )
    return dict(rows.tuples().all())
