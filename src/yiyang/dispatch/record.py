"""What an automatic decision leaves in its row: the candidates weighed, lines with names."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from yiyang.dispatch import repository
from yiyang.planner.explain import Line, explain
from yiyang.planner.types import Decision


def explanation(session: Session, decision: Decision) -> list[Line]:
    """The decision's explanation lines, with the caregivers' and areas' names filled in."""
    ids = [c.staff_id for c in decision.considered]
    names = repository.staff_names(session, ids)
    areas = repository.area_names(session, [decision.job.community_id, decision.job.street_id])
    return explain(
        decision,
        names=names,
        community=areas.get(decision.job.community_id),
        street=areas.get(decision.job.street_id),
        centres={
            staff_id: (c.name, c.street)
            for staff_id, c in repository.staff_centres(
                session, [decision.winner.staff_id] if decision.winner else []
            ).items()
        },
    )


def candidates_json(decision: Decision) -> list[dict[str, Any]]:
    """The candidates weighed, as stored with the decision (what the order page lists)."""
    return [
        {
            "staff_id": c.staff_id,
            "provider_id": c.provider_id,
            "tier": c.tier,
            "travel_min": c.travel_min,
            "start": c.start.isoformat(),
            "score": c.score,
            "load_share": c.load_share,
            "visits_before": c.visits_before,
            "reasons": list(c.reasons),
        }
        for c in decision.considered
    ]
