"""The visit policy of this process, built from its Settings (one place for every caller)."""

from __future__ import annotations

from datetime import timedelta

from yiyang.config import Settings
from yiyang.visits.rules import VisitPolicy


def policy_from(settings: Settings) -> VisitPolicy:
    """The visit policy configured for this process."""
    return VisitPolicy(
        default_geofence_m=settings.visit_geofence_m,
        poor_accuracy_m=settings.visit_poor_accuracy_m,
        late_after=timedelta(minutes=settings.visit_late_minutes),
        no_show_after=timedelta(minutes=settings.visit_no_show_minutes),
        min_visit=timedelta(minutes=settings.visit_min_minutes),
        early_margin=timedelta(minutes=settings.visit_early_minutes),
        short_share=settings.visit_short_share,
    )
