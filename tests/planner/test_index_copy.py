"""A copied index with visits added (what each placement now gets from the kept picture)
chooses exactly as an index built anew from the same caregivers."""

from __future__ import annotations

import random
from dataclasses import replace

from tests.planner.helpers import TRAVEL, at, cg, job, w
from yiyang.planner.choose import choose
from yiyang.planner.index import CaregiverIndex


def test_copy_with_visits_chooses_as_a_fresh_index() -> None:
    rng = random.Random(3)
    free = [
        cg(i, home=at(rng.uniform(-6000, 6000), rng.uniform(-6000, 6000)),
           community=rng.choice((11, 12, 21)), street=1 if i % 3 else 2,
           mode=rng.choice(("walk", "car")), provider=1 + (i + 2) % 4,
           skills={"bathing": rng.randint(1, 5), "cleaning": rng.randint(1, 3)})
        for i in range(1, 121)
    ]  # fmt: skip
    base = CaregiverIndex(free)
    busy = {}
    for c in free[::3]:
        place = at(rng.uniform(-8000, 8000), rng.uniform(-8000, 8000))
        busy[c.staff_id] = replace(
            c, busy=(w("09:00", "10:00"),), busy_points=(place,), load_minutes=60
        )
    excluded = {c.staff_id for c in free if c.provider_id == 4}
    fresh = [busy.get(c.staff_id, c) for c in free if c.staff_id not in excluded]
    copied = base.copy()
    for staff_id in excluded:
        copied.drop(staff_id)
    for staff_id, state in busy.items():
        if staff_id in copied:
            copied.put_busier(state)
    assert len(base) == 120  # the kept index is left as it was
    for n in range(40):
        j = job(order_id=n, location=at(rng.uniform(-9000, 9000), rng.uniform(-9000, 9000)),
                community=rng.choice((11, 12, 99)), street=rng.choice((1, 2)),
                window=w("08:30", "12:00"), skills={"bathing": rng.randint(1, 4)})  # fmt: skip
        assert choose(j, copied, TRAVEL) == choose(j, fresh, TRAVEL)
