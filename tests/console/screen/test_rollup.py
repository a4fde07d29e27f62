"""The screen's tally of closed days gives the same supply against demand as counting the
orders, also after a late change to a closed day (an order cancelled, an elder moved)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from tests.builders import make_elder
from tests.conftest import FakeClock
from tests.console.screen.test_figures import _order
from tests.orders.builders import make_district
from yiyang.console.screen import figures, picture, rollup
from yiyang.console.screen import repository as queries
from yiyang.console.screen import rollup_repository as repo
from yiyang.kit.clock import utcnow
from yiyang.kit.localtime import CHINA_TZ, local_today
from yiyang.orders.models import ServiceOrder
from yiyang.registry.elders.models import Elder


def _tables(db: Session, today: date, rows_of: str) -> dict[str, object]:
    """Both windows' demand from the tally path (`rollup`) or from every order (`direct`)."""
    starts = [figures.days_back(today, n)[0] for n in picture.WINDOWS]
    if rows_of == "rollup":
        rows = rollup.demand(db, today, starts)
    else:
        first = min(starts)
        rows = queries.demand_of(db, [first + timedelta(days=i) for i in range(30)])
    return {str(n): figures.supply_demand(rows, [], *figures.days_back(today, n))
            for n in picture.WINDOWS}  # fmt: skip


def _written_long_ago(db: Session) -> None:
    """The seeded rows as if written before the tally (the test writes them just now)."""
    ago = utcnow() - timedelta(days=40)
    db.execute(update(ServiceOrder).values(updated_at=ago))
    db.execute(update(Elder).values(updated_at=ago))


def test_the_tally_gives_the_orders_figures_and_follows_late_changes(
    db: Session, clock: FakeClock
) -> None:
    d = make_district(db)
    here = make_elder(db, d.tree.comm_a1)
    there = make_elder(db, d.tree.comm_b1)
    today = local_today(clock.now)
    orders = {}
    for back in (0, 1, 2, 6, 7, 20):
        start = datetime.combine(today - timedelta(days=back), datetime.min.time(), CHINA_TZ)
        orders[back] = _order(db, here.id, start + timedelta(hours=9))
        _order(db, there.id, start + timedelta(hours=14))
    _written_long_ago(db)
    direct = _tables(db, today, "direct")
    assert _tables(db, today, "rollup") == direct  # nothing tallied: every day counted

    assert rollup.tally(db, today) == 29
    kept = repo.tallied(db, today - timedelta(days=29), today - timedelta(days=1))
    assert len(kept) == 29 and not repo.stale(db, min(kept), max(kept))
    assert _tables(db, today, "rollup") == direct

    db.get_one(ServiceOrder, orders[1]).status = "cancelled"  # a late change to yesterday
    db.flush()
    yesterday = today - timedelta(days=1)
    assert repo.stale(db, min(kept), max(kept)) == {yesterday}
    assert _tables(db, today, "rollup") == _tables(db, today, "direct") != direct

    moved = db.get_one(Elder, here.id)  # moves to street b: its past orders count there
    moved.street_id, moved.community_id = d.tree.street_b.id, d.tree.comm_b1.id
    db.flush()
    assert len(repo.stale(db, min(kept), max(kept))) == 5  # the days of its closed orders
    after = _tables(db, today, "direct")
    assert _tables(db, today, "rollup") == after

    assert rollup.tally(db, today) == 5  # the next night tallies the stale days again
    _written_long_ago(db)
    assert not repo.stale(db, min(kept), max(kept))
    assert _tables(db, today, "rollup") == after
