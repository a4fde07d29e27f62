"""Demo capability assessments: the assessments behind the seeded elders' levels.

Most active elders with a level get one assessment 1 to 20 months old whose scores add up
to a total in their level's band, so the assessor's queue has elders overdue, recently
assessed and never assessed.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yiyang.registry.assessments import rules
from yiyang.registry.assessments.models import Assessment
from yiyang.registry.elders.models import Elder
from yiyang.security.models import UserAccount

SHARE_ASSESSED = 0.8
# A total inside each level's band (the floors of rules.LEVEL_FLOORS).
BANDS = {0: (90, 90), 1: (66, 89), 2: (46, 65), 3: (30, 45), 4: (5, 29)}


def _scores(total: int) -> dict[str, int]:
    scores, missing = {}, rules.MAX_TOTAL - total
    for item in reversed(rules.ITEMS):  # points off the social and mental items first
        off = min(missing, item.max_points)
        scores[item.code] = item.max_points - off
        missing -= off
    return scores


def seed_assessments(session: Session, *, now: datetime, seed: int = 42) -> int:
    """Add the demo assessments once (none yet); returns how many were added."""
    if session.scalar(select(func.count(Assessment.id))):
        return 0
    rng = random.Random(seed)
    assessor_id = session.scalar(select(UserAccount.id).where(UserAccount.username == "assessor1"))
    rows = session.execute(
        select(Elder.id, Elder.capability_level).where(
            Elder.status == "active", Elder.capability_level.is_not(None)
        )
    ).all()
    made = 0
    for elder_id, level in rows:
        if rng.random() > SHARE_ASSESSED:
            continue
        low, high = BANDS[int(level)]
        total = rng.randint(low, high)
        result = rules.assess(_scores(total))
        session.add(
            Assessment(
                elder_id=elder_id, assessed_at=now - timedelta(days=rng.randint(30, 600)),
                assessor_id=assessor_id, standard=rules.STANDARD, scores=result.scores,
                facts={"coma": False, "mental_disorder": False, "risk_events": {}},
                total=result.total, score_level=result.score_level, level=result.level,
                adjustments=[], note=None,
            )
        )  # fmt: skip
        made += 1
    session.flush()
    return made
