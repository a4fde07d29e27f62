"""Monthly settlement as a process: a run per month and provider, draft → reviewed → closed.

A draft holds one line per payable visit of the month (window start, China calendar), one
excluded line per unpayable one with its reasons, and adjustment lines for visits of
earlier, closed months whose payability changed since (an exception approved or rejected
later). Closing marks the paid orders `settled` and freezes the run: no recompute, no new
line. The row lock on the run makes two closings at once close it once.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy.orm import Session

from yiyang.errors import N_, Conflict, Invalid
from yiyang.kit.pagination import PageParams
from yiyang.orders import rules as order_rules
from yiyang.orders import service as orders_service
from yiyang.registry.providers import repository as provider_repository
from yiyang.security.audit import service as audit
from yiyang.security.roles import Perm
from yiyang.security.scope import Binding
from yiyang.security.subject import Subject
from yiyang.visits import repository as visit_repository
from yiyang.visits import rules as visit_rules
from yiyang.visits.payment import repository
from yiyang.visits.payment.assessing import Assessed, assess, delivered_in, month_of
from yiyang.visits.payment.models import SettlementLine, SettlementRun
from yiyang.visits.payment.rules import (
    LineKind,
    LineMoney,
    RunAction,
    RunStatus,
    RunTotals,
    adjustment_sign,
    run_move,
    totals,
)
from yiyang.visits.payment.schemas import LineRead, RunCreate, RunPage, RunRead, RunSums
from yiyang.visits.rules import VisitPolicy

SETTLEABLE = (order_rules.Status.COMPLETED, order_rules.Status.CONFIRMED)


def _line(run: SettlementRun, item: Assessed, kind: str, sign: int = 1) -> SettlementLine:
    order = item.order
    return SettlementLine(
        run_id=run.id, kind=kind, order_id=order.id, elder_id=order.elder_id,
        elder_name=order.elder.name[:64], street_id=order.elder.street_id,
        service_name_zh=order.item.name_zh, service_name_en=order.item.name_en,
        service_date=order.service_date, price_fen=sign * order.price_fen,
        government_fen=sign * order.government_fen, elder_fen=sign * order.elder_fen,
        reasons=[str(r) for r in item.pay.reasons],
        for_month=month_of(order.window_start_at) if kind == LineKind.ADJUSTMENT else None,
    )  # fmt: skip


def _money(lines: list[SettlementLine]) -> RunTotals:
    return totals(LineMoney(ln.kind, ln.price_fen, ln.government_fen, ln.elder_fen) for ln in lines)


def _adjustments(
    session: Session, run: SettlementRun, policy: VisitPolicy
) -> list[tuple[Assessed, int]]:
    """Visits of the provider's closed earlier months whose payability changed since."""
    paid: dict[int, int] = defaultdict(int)
    for line, _ in repository.closed_lines_before(session, run.provider_id, run.month):
        if line.kind == LineKind.VISIT:
            paid[line.order_id] += 1
        elif line.kind == LineKind.ADJUSTMENT:
            paid[line.order_id] += 1 if line.price_fen >= 0 else -1
        else:
            paid.setdefault(line.order_id, 0)
    found = []
    for item in assess(session, visit_repository.deliveries_of(session, list(paid)), policy):
        sign = adjustment_sign(paid[item.order.id] > 0, item.pay.payable)
        if sign:
            found.append((item, sign))
    return found


def _compute(
    session: Session, subject: Subject, run: SettlementRun, *, now: datetime, policy: VisitPolicy
) -> None:
    """(Re)write a draft's lines and totals from the facts as they stand now: one provider's
    month, each visit judged by the rules afresh (assess), so a run never pays on a verdict
    stored under another policy."""
    repository.delete_lines(session, run.id)
    lines = [
        _line(run, item, LineKind.VISIT if item.pay.payable else LineKind.EXCLUDED)
        for item in delivered_in(session, subject, run.month, run.provider_id, policy)
    ]
    lines += [_line(run, item, LineKind.ADJUSTMENT, sign) for item, sign in _adjustments(
        session, run, policy
    )]  # fmt: skip
    session.add_all(lines)
    money = _money(lines)
    run.count, run.total_fen, run.excluded = money.count, money.total_fen, money.excluded
    run.government_fen, run.elder_fen = money.government_fen, money.elder_fen
    run.computed_at = now
    session.flush()


def _providers_of_month(session: Session, subject: Subject, month: str) -> list[int]:
    """The providers with delivered visits in the month: one query, no visit loaded."""
    start, end = visit_rules.month_bounds(month)
    return visit_repository.providers_delivered_between(session, subject, start, end)


def create_runs(
    session: Session, subject: Subject, data: RunCreate, *, now: datetime, policy: VisitPolicy
) -> list[SettlementRun]:
    """Prepare (or recompute) the month's draft for one provider, or for every provider with
    delivered visits that month; closed or reviewed runs are left as they are."""
    subject.require(Perm.SETTLEMENT_WRITE)
    if data.provider_id is not None:
        provider_repository.get(session, subject, data.provider_id)
        provider_ids = [data.provider_id]
    else:
        provider_ids = _providers_of_month(session, subject, data.month)
    check_month(data.month, now)
    made: list[int] = []
    for provider_id in provider_ids:
        run = repository.run_for(session, data.month, provider_id)
        if run is not None and run.status != RunStatus.DRAFT:
            if data.provider_id is not None:
                raise _frozen(run)
            continue
        if run is None:
            run = SettlementRun(
                month=data.month, provider_id=provider_id, status=RunStatus.DRAFT,
                created_at=now, created_by=subject.display_name[:64], computed_at=now,
            )  # fmt: skip
            session.add(run)
            session.flush()
            action = "settlement.create"
        else:
            action = "settlement.recompute"
        _compute(session, subject, run, now=now, policy=policy)
        _audit(session, subject, run, action, now)
        made.append(run.id)
    return [repository.get_run(session, subject, run_id) for run_id in made]


def check_month(month: str, now: datetime) -> None:
    """Only a month that has begun can be settled."""
    if month > month_of(now):
        raise Invalid(N_("A month still to come cannot be settled."), field="month")


def _frozen(run: SettlementRun) -> Conflict:
    if run.status == RunStatus.CLOSED:
        message = N_("The settlement of %(month)s is closed: it can no longer be changed.")
    else:
        message = N_("The settlement of %(month)s is reviewed: put it back to draft to change it.")
    return Conflict(message, field="status", code="run_frozen", month=run.month)


def _audit(
    session: Session, subject: Subject, run: SettlementRun, action: str, now: datetime
) -> None:
    audit.record(
        session, subject, action, "settlement_run", run.id,
        after={"month": run.month, "provider_id": run.provider_id, "status": run.status,
               "count": run.count, "total_fen": run.total_fen},
        at=now,
    )  # fmt: skip


def act(
    session: Session, subject: Subject, run_id: int, action: str, *, now: datetime,
    policy: VisitPolicy,
) -> SettlementRun:  # fmt: skip
    """Recompute a draft, mark it reviewed, reopen a reviewed one, or close it (settling orders)."""
    subject.require(Perm.SETTLEMENT_WRITE)
    run = repository.get_run(session, subject, run_id, lock=True)
    to = run_move(run.status, action)
    if to is None:
        if run.status == RunStatus.CLOSED:
            raise _frozen(run)
        raise Conflict(
            N_("A settlement is reviewed before it is closed, and only a draft is recomputed."),
            field="action", code="bad_move",
        )  # fmt: skip
    if action == RunAction.RECOMPUTE:
        _compute(session, subject, run, now=now, policy=policy)
    elif action == RunAction.REVIEW:
        run.reviewed_at, run.reviewed_by = now, subject.display_name[:64]
    elif action == RunAction.REOPEN:
        run.reviewed_at = run.reviewed_by = None
    elif action == RunAction.CLOSE:
        _settle_orders(session, subject, run, now=now)
        run.closed_at, run.closed_by = now, subject.display_name[:64]
    run.status = to
    _audit(session, subject, run, f"settlement.{action}", now)
    session.flush()
    return run


def _settle_orders(
    session: Session, subject: Subject, run: SettlementRun, *, now: datetime
) -> None:
    """Mark the orders the run pays `settled` (those already settled stay so)."""
    paid = [
        ln.order_id
        for ln in repository.lines_of(session, run.id)
        if ln.kind == LineKind.VISIT or (ln.kind == LineKind.ADJUSTMENT and ln.price_fen >= 0)
    ]
    for order, _ in visit_repository.deliveries_of(session, paid):
        if order.status in SETTLEABLE:
            orders_service.record(
                session, order, order_rules.Event.SETTLE, actor=subject, now=now,
                reason=f"settlement {run.month}",
            )  # fmt: skip


# ---------------------------------------------------------------- reading


def _street_of(subject: Subject) -> int | None:
    return subject.scope.bound_id if subject.scope.binding is Binding.STREET else None


def to_read(
    session: Session, subject: Subject, run: SettlementRun, *, lines: bool,
    street_money: RunTotals | None = None,
) -> RunRead:  # fmt: skip
    """A run with its totals; a street admin gets its street's lines and their totals only
    (`street_money`, when the caller summed them already)."""
    street = _street_of(subject)
    found = repository.lines_of(session, run.id, street) if lines or (
        street and street_money is None
    ) else []  # fmt: skip
    money = (street_money or _money(found)) if street else None
    return RunRead(
        id=run.id, month=run.month, provider_id=run.provider_id, provider_name=run.provider.name,
        status=run.status, created_at=run.created_at, created_by=run.created_by,
        computed_at=run.computed_at, reviewed_at=run.reviewed_at, reviewed_by=run.reviewed_by,
        closed_at=run.closed_at, closed_by=run.closed_by,
        count=money.count if money else run.count,
        total_fen=money.total_fen if money else run.total_fen,
        government_fen=money.government_fen if money else run.government_fen,
        elder_fen=money.elder_fen if money else run.elder_fen,
        excluded=money.excluded if money else run.excluded,
        lines=[LineRead.model_validate(ln) for ln in found] if lines else [],
    )  # fmt: skip


def list_runs(
    session: Session, subject: Subject, month: str | None, provider_id: int | None,
    page: PageParams,
) -> RunPage:  # fmt: skip
    """A page of readable runs, newest month first, with their totals (a street admin's: its
    street's part), and the sums of every matching run, all added up by the database."""
    subject.require(Perm.SETTLEMENT_READ)
    found, total = repository.runs(session, subject, month, provider_id, page)
    street = _street_of(subject)
    parts = repository.street_sums(session, [r.id for r in found], street) if street else {}
    items = [
        to_read(
            session, subject, run, lines=False,
            street_money=RunTotals(*parts.get(run.id, (0, 0, 0, 0, 0))) if street else None,
        )
        for run in found
    ]  # fmt: skip
    sums = RunTotals(*repository.run_sums(session, subject, month, provider_id, street))
    return RunPage(
        items=items, total=total, page=page.page, size=page.size,
        sums=RunSums.model_validate(sums),
    )  # fmt: skip


def read_run(session: Session, subject: Subject, run_id: int) -> RunRead:
    """One readable run with its lines (NotFound outside the caller's scope)."""
    subject.require(Perm.SETTLEMENT_READ)
    run = repository.get_run(session, subject, run_id)
    return to_read(session, subject, run, lines=True)
