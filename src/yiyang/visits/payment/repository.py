"""Every query of payment: reviews, verdicts, runs and lines; scope from the orders' (the
visit repository's `readable`) and the runs' own rules."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, case, delete, exists, func, or_, select
from sqlalchemy.orm import Session, joinedload

from yiyang.errors import N_, NotFound
from yiyang.kit.pagination import PageParams
from yiyang.orders.models import ServiceOrder
from yiyang.registry.providers import repository as provider_repository
from yiyang.registry.providers.models import Provider
from yiyang.security.subject import Subject
from yiyang.visits import repository as visit_repository
from yiyang.visits.models import VisitRating
from yiyang.visits.payment.models import (
    SettlementLine,
    SettlementRun,
    VisitReview,
    VisitVerdict,
    VisitVerdictReason,
)


def reviews_of(session: Session, order_ids: Sequence[int]) -> dict[int, list[VisitReview]]:
    """Reviews of several orders, oldest first (scope is checked on the orders first)."""
    if not order_ids:
        return {}
    stmt = (
        select(VisitReview)
        .where(VisitReview.order_id.in_(order_ids))
        .order_by(VisitReview.order_id, VisitReview.at, VisitReview.id)
    )
    found: dict[int, list[VisitReview]] = {}
    for review in session.scalars(stmt):
        found.setdefault(review.order_id, []).append(review)
    return found


def last_decisions(session: Session, order_ids: Select[tuple[int]]) -> dict[int, str]:
    """The newest review decision of each order the statement selects that has one."""
    newest = (
        select(
            VisitReview.order_id, VisitReview.decision,
            func.row_number().over(
                partition_by=VisitReview.order_id,
                order_by=(VisitReview.at.desc(), VisitReview.id.desc()),
            ).label("n"),
        )
        .where(VisitReview.order_id.in_(order_ids))
        .subquery()
    )  # fmt: skip
    rows = session.execute(select(newest.c.order_id, newest.c.decision).where(newest.c.n == 1))
    return {order_id: decision for order_id, decision in rows}


def ratings_of(session: Session, order_ids: Sequence[int] | Select[tuple[int]]) -> dict[int, int]:
    """The elder's or family's score of several orders (ids, or a statement selecting them)."""
    if isinstance(order_ids, Sequence) and not order_ids:
        return {}
    stmt = select(VisitRating.order_id, VisitRating.score).where(
        VisitRating.order_id.in_(order_ids)
    )
    return {order_id: score for order_id, score in session.execute(stmt)}


def replace_verdicts(
    session: Session,
    order_ids: Sequence[int],
    verdicts: Sequence[VisitVerdict],
    reasons: dict[int, list[str]],
) -> None:
    """Write these orders' verdicts with their reason codes (in order); an order of
    `order_ids` without a verdict (no longer delivered) loses its old one."""
    if not order_ids:
        return
    ids = list(order_ids)
    session.execute(delete(VisitVerdictReason).where(VisitVerdictReason.order_id.in_(ids)))
    kept = {v.order_id for v in verdicts}
    gone = [i for i in ids if i not in kept]
    if gone:
        session.execute(delete(VisitVerdict).where(VisitVerdict.order_id.in_(gone)))
    for verdict in verdicts:
        session.merge(verdict)
    session.flush()  # the verdicts before the reasons that refer to them
    session.add_all(
        VisitVerdictReason(order_id=order_id, reason=code, position=n)
        for order_id, codes in reasons.items()
        for n, code in enumerate(codes)
    )
    session.flush()


def stale_delivered_ids(session: Session, key: str, after: int, limit: int) -> list[int]:
    """Delivered orders past id `after` whose verdict is missing or was judged under another
    policy than `key`, in id order (the re-judging's next batch)."""
    stmt = (
        select(ServiceOrder.id)
        .outerjoin(VisitVerdict, VisitVerdict.order_id == ServiceOrder.id)
        .where(
            ServiceOrder.id > after,
            ServiceOrder.status.in_(visit_repository.DELIVERED),
            or_(VisitVerdict.policy.is_(None), VisitVerdict.policy != key),
        )
        .order_by(ServiceOrder.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def _fresh(ids: Select[tuple[int]], key: str) -> Select[tuple[int]]:
    """The orders of `ids` whose stored verdict was judged under policy `key`."""
    return select(VisitVerdict.order_id).where(
        VisitVerdict.order_id.in_(ids), VisitVerdict.policy == key
    )


def stale_among(ids: Select[tuple[int]], key: str) -> Select[tuple[int]]:
    """The orders of `ids` without a verdict judged under `key` (a statement)."""
    subset = ids.subquery()
    return select(subset.c.id).where(subset.c.id.not_in(_fresh(select(subset.c.id), key)))


def count_of(session: Session, ids: Select[tuple[int]]) -> int:
    """How many orders a statement of ids selects."""
    return int(session.scalar(select(func.count()).select_from(ids.subquery())) or 0)


def stored_tally(
    session: Session, ids: Select[tuple[int]], key: str
) -> tuple[list[tuple[int | None, str, int]], list[tuple[str, int]]]:
    """From the verdicts of `ids` judged under `key`, those with reasons counted by (order's
    provider, state), and their reason codes counted."""
    fresh = _fresh(ids, key)
    with_reasons = exists().where(VisitVerdictReason.order_id == VisitVerdict.order_id)
    by_state = session.execute(
        select(ServiceOrder.provider_id, VisitVerdict.state, func.count())
        .join(ServiceOrder, ServiceOrder.id == VisitVerdict.order_id)
        .where(VisitVerdict.order_id.in_(fresh), with_reasons)
        .group_by(ServiceOrder.provider_id, VisitVerdict.state)
    ).tuples()
    by_reason = session.execute(
        select(VisitVerdictReason.reason, func.count())
        .where(VisitVerdictReason.order_id.in_(fresh))
        .group_by(VisitVerdictReason.reason)
    ).tuples()
    return list(by_state), list(by_reason)


def _queue(
    subject: Subject, months: Sequence[str], provider_id: int | None, state: str, reason: str | None
) -> Select[tuple[ServiceOrder]]:
    """Readable delivered orders whose stored verdict matches: `state` "all" is every one
    that cannot be paid as it stands or was approved despite its reasons."""
    stmt = (
        visit_repository.readable(subject)
        .join(VisitVerdict, VisitVerdict.order_id == ServiceOrder.id)
        .where(VisitVerdict.month.in_(list(months)))
    )
    if state == "all":
        stmt = stmt.where(VisitVerdict.state != "payable")
    else:
        stmt = stmt.where(VisitVerdict.state == state)
    if provider_id is not None:
        stmt = stmt.where(VisitVerdict.provider_id == provider_id)
    if reason:
        stmt = stmt.where(
            exists().where(
                VisitVerdictReason.order_id == VisitVerdict.order_id,
                VisitVerdictReason.reason == reason,
            )
        )
    return stmt


def exception_page(
    session: Session, subject: Subject, *, months: Sequence[str], provider_id: int | None,
    state: str, reason: str | None, page: PageParams,
) -> tuple[list[tuple[ServiceOrder, VisitVerdict]], int, int]:  # fmt: skip
    """One page of the exceptions queue, oldest window first, with every match's count and
    price (fen) summed: filtered, sorted and paged by the database."""
    stmt = _queue(subject, months, provider_id, state, reason)
    sums = stmt.with_only_columns(func.count(), func.coalesce(func.sum(ServiceOrder.price_fen), 0))
    total, price = session.execute(sums.order_by(None)).one()
    rows = session.execute(
        stmt.add_columns(VisitVerdict)
        .options(*visit_repository.order_options())
        .order_by(ServiceOrder.window_start_at, ServiceOrder.id)
        .offset(page.offset)
        .limit(page.size)
    ).unique()
    return [(order, verdict) for order, verdict in rows], int(total), int(price)


def verdict_reasons(session: Session, order_ids: Sequence[int]) -> dict[int, list[str]]:
    """The stored reason codes of several verdicts, in the rules' order."""
    if not order_ids:
        return {}
    stmt = (
        select(VisitVerdictReason.order_id, VisitVerdictReason.reason)
        .where(VisitVerdictReason.order_id.in_(list(order_ids)))
        .order_by(VisitVerdictReason.order_id, VisitVerdictReason.position)
    )
    found: dict[int, list[str]] = {}
    for order_id, reason in session.execute(stmt):
        found.setdefault(order_id, []).append(reason)
    return found


def _street_lines(street_id: int) -> object:
    return exists().where(
        SettlementLine.run_id == SettlementRun.id, SettlementLine.street_id == street_id
    )


def readable_runs(subject: Subject) -> Select[tuple[SettlementRun]]:
    """Runs the subject may see: all in the district, a provider its own, a street those that
    paid for its elders (the street then sees only its lines)."""
    condition = subject.scope.where(street=_street_lines, provider=SettlementRun.provider_id)
    return select(SettlementRun).where(condition)


def _runs(
    subject: Subject, month: str | None, provider_id: int | None
) -> Select[tuple[SettlementRun]]:
    stmt = readable_runs(subject)
    if month:
        stmt = stmt.where(SettlementRun.month == month)
    if provider_id is not None:
        stmt = stmt.where(SettlementRun.provider_id == provider_id)
    return stmt


def runs(
    session: Session, subject: Subject, month: str | None, provider_id: int | None,
    page: PageParams,
) -> tuple[list[SettlementRun], int]:  # fmt: skip
    """A page of readable runs, newest month first, then by provider, and how many match."""
    stmt = _runs(subject, month, provider_id)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    stmt = stmt.options(joinedload(SettlementRun.provider)).order_by(
        SettlementRun.month.desc(), SettlementRun.provider_id
    )
    return list(session.scalars(stmt.offset(page.offset).limit(page.size)).unique()), total


# A run's money as the rules add it up (rules.totals): paid visits and adjustments count,
# excluded lines are only counted.
_PAID = SettlementLine.kind != "excluded"
_LINE_SUMS = (
    func.count(case((SettlementLine.kind == "visit", 1))),
    func.coalesce(func.sum(case((_PAID, SettlementLine.price_fen), else_=0)), 0),
    func.coalesce(func.sum(case((_PAID, SettlementLine.government_fen), else_=0)), 0),
    func.coalesce(func.sum(case((_PAID, SettlementLine.elder_fen), else_=0)), 0),
    func.count(case((SettlementLine.kind == "excluded", 1))),
)
_RUN_SUMS = tuple(
    func.coalesce(func.sum(column), 0)
    for column in (
        SettlementRun.count, SettlementRun.total_fen, SettlementRun.government_fen,
        SettlementRun.elder_fen, SettlementRun.excluded,
    )
)  # fmt: skip


def run_sums(
    session: Session, subject: Subject, month: str | None, provider_id: int | None,
    street_id: int | None,
) -> tuple[int, int, int, int, int]:  # fmt: skip
    """(count, total, government, elder, excluded) of every matching run, or of one street's
    lines in them: summed by the database, not over loaded rows."""
    runs_ = _runs(subject, month, provider_id)
    if street_id is None:
        stmt = runs_.with_only_columns(*_RUN_SUMS)
    else:
        ids = runs_.with_only_columns(SettlementRun.id)
        stmt = select(*_LINE_SUMS).where(
            SettlementLine.run_id.in_(ids), SettlementLine.street_id == street_id
        )
    count, total, gov, elder, excluded = session.execute(stmt).one()
    return int(count), int(total), int(gov), int(elder), int(excluded)


def street_sums(
    session: Session, run_ids: Sequence[int], street_id: int
) -> dict[int, tuple[int, int, int, int, int]]:
    """Per run, (count, total, government, elder, excluded) of one street's lines."""
    if not run_ids:
        return {}
    stmt = (
        select(SettlementLine.run_id, *_LINE_SUMS)
        .where(SettlementLine.run_id.in_(list(run_ids)), SettlementLine.street_id == street_id)
        .group_by(SettlementLine.run_id)
    )
    return {run_id: (c, t, g, e, x) for run_id, c, t, g, e, x in session.execute(stmt)}


def get_run(
    session: Session, subject: Subject, run_id: int, *, lock: bool = False
) -> SettlementRun:
    """One readable run (locked with `lock`, so two closings cannot both pass), or NotFound."""
    if lock:
        session.scalar(select(SettlementRun.id).where(SettlementRun.id == run_id).with_for_update())
    stmt = (
        readable_runs(subject)
        .where(SettlementRun.id == run_id)
        .options(joinedload(SettlementRun.provider))
        .execution_options(populate_existing=True)
    )
    run = session.scalar(stmt)
    if run is None:
        raise NotFound(N_("Settlement %(id)s not found."), id=run_id)
    return run


def run_for(session: Session, month: str, provider_id: int) -> SettlementRun | None:
    """The run of a provider's month, if any."""
    return session.scalar(
        select(SettlementRun).where(
            SettlementRun.month == month, SettlementRun.provider_id == provider_id
        )
    )


def lines_of(session: Session, run_id: int, street_id: int | None = None) -> list[SettlementLine]:
    """A run's lines (one street's only, for a street admin), by kind, date and order."""
    stmt = select(SettlementLine).where(SettlementLine.run_id == run_id)
    if street_id is not None:
        stmt = stmt.where(SettlementLine.street_id == street_id)
    stmt = stmt.order_by(SettlementLine.kind, SettlementLine.service_date, SettlementLine.order_id)
    return list(session.scalars(stmt))


def delete_lines(session: Session, run_id: int) -> None:
    """Drop a draft run's lines before it is computed again."""
    for line in session.scalars(select(SettlementLine).where(SettlementLine.run_id == run_id)):
        session.delete(line)
    session.flush()


def closed_lines_before(
    session: Session, provider_id: int, month: str
) -> list[tuple[SettlementLine, str]]:
    """Lines of the provider's closed runs of months before `month`, with their run's month."""
    stmt = (
        select(SettlementLine, SettlementRun.month)
        .join(SettlementRun, SettlementRun.id == SettlementLine.run_id)
        .where(
            SettlementRun.provider_id == provider_id,
            SettlementRun.status == "closed",
            SettlementRun.month < month,
        )
        .order_by(SettlementLine.id)
    )
    return [(line, run_month) for line, run_month in session.execute(stmt)]


def closed_months(session: Session, provider_id: int) -> list[str]:
    """Months whose run of this provider is closed."""
    stmt = select(SettlementRun.month).where(
        SettlementRun.provider_id == provider_id, SettlementRun.status == "closed"
    )
    return list(session.scalars(stmt))


def providers(session: Session, subject: Subject) -> list[Provider]:
    """Providers the subject may filter by, by name."""
    stmt = provider_repository.readable(subject).order_by(Provider.name).limit(500)
    return list(session.scalars(stmt))
