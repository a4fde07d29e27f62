"""An elder's own alarm thresholds: read the limits in force, set or remove the elder's own.

Reading needs ALARM_READ or ELDER_READ, changing needs ALARM_HANDLE or ELDER_WRITE; the
elder must be in the caller's data scope (otherwise 404). Every change is audited.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from yiyang.alarms import rule_repository, rules
from yiyang.alarms.rule_models import AlarmThreshold
from yiyang.alarms.threshold_schemas import ThresholdIn, ThresholdRead
from yiyang.errors import N_, Forbidden, Invalid, NotFound
from yiyang.protocols.vocabulary import UNITS, Metric
from yiyang.registry.elders import repository as elder_repository
from yiyang.registry.elders.models import Elder
from yiyang.security.audit import service as audit
from yiyang.security.refusals import refusal
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject

_PROBLEMS = {
    "no_limit": N_("Give at least one limit, or remove the elder's own thresholds."),
    "low_not_below_high": N_("The low limits must be below the high limits."),
    "critical_high_below_major": N_("The critical high limit must be at or above the major one."),
    "critical_low_above_major": N_("The critical low limit must be at or below the major one."),
}
_PROBLEM_FIELDS = {
    "no_limit": "major_high",
    "low_not_below_high": "major_low",
    "critical_high_below_major": "critical_high",
    "critical_low_above_major": "critical_low",
}
DEFAULT_SILENCE = rules.ReadingRule(Metric.HEART_RATE, rules.Limits()).silence


def _hhmm(value: str | None) -> time | None:
    return None if value is None else time.fromisoformat(value)


def override_of(row: AlarmThreshold) -> rules.Override:
    """The rule override an elder's stored threshold stands for."""
    start, end = _hhmm(row.window_start), _hhmm(row.window_end)
    return rules.Override(
        limits=rules.Limits(
            major_high=row.major_high,
            critical_high=row.critical_high,
            major_low=row.major_low,
            critical_low=row.critical_low,
        ),
        consecutive=row.consecutive,
        window=(start, end) if start is not None and end is not None else None,
        silence=timedelta(minutes=row.silence_minutes) if row.silence_minutes is not None else None,
    )


def overrides_of(session: Session, elder_ids: set[int]) -> dict[int, dict[Metric, rules.Override]]:
    """The overrides of many elders by metric, in one query (those without have none)."""
    found: dict[int, dict[Metric, rules.Override]] = {}
    for row in rule_repository.thresholds_of_elders(session, elder_ids):
        found.setdefault(row.elder_id, {})[Metric(row.metric)] = override_of(row)
    return found


def _elder(session: Session, subject: Subject, elder_id: int) -> Elder:
    elder = session.scalar(elder_repository.readable(subject).where(Elder.id == elder_id))
    if elder is None:
        raise NotFound(N_("Elder %(id)s not found."), id=elder_id)
    return elder


def _require_any(subject: Subject, *perms: Perm) -> None:
    if not any(subject.can(p) for p in perms):
        raise Forbidden(refusal(perms[0]), perm=str(perms[0]))


def _metric(metric: str) -> Metric:
    if metric not in {str(m) for m in rules.DEFAULT_LIMITS}:
        watched = ", ".join(str(m) for m in rules.DEFAULT_LIMITS)
        raise NotFound(
            N_("No alarm threshold for %(metric)s: choose one of %(watched)s."),
            metric=metric,
            watched=watched,
        )
    return Metric(metric)


def _read(metric: Metric, row: AlarmThreshold | None) -> ThresholdRead:
    if row is None:
        lim = rules.DEFAULT_LIMITS[metric]
        return ThresholdRead(
            metric=metric, unit=UNITS[metric], own=False, major_high=lim.major_high,
            critical_high=lim.critical_high, major_low=lim.major_low,
            critical_low=lim.critical_low, consecutive=rules.DEFAULT_CONSECUTIVE.get(metric, 1),
            window_start=None, window_end=None,
            silence_minutes=int(DEFAULT_SILENCE.total_seconds() // 60),
        )  # fmt: skip
    return ThresholdRead(
        metric=metric, unit=UNITS[metric], own=True, major_high=row.major_high,
        critical_high=row.critical_high, major_low=row.major_low, critical_low=row.critical_low,
        consecutive=row.consecutive or rules.DEFAULT_CONSECUTIVE.get(metric, 1),
        window_start=row.window_start, window_end=row.window_end,
        silence_minutes=(
            row.silence_minutes
            if row.silence_minutes is not None
            else int(DEFAULT_SILENCE.total_seconds() // 60)
        ),
        note=row.note, set_by=row.set_by_name, set_at=row.set_at,
    )  # fmt: skip


def list_thresholds(session: Session, subject: Subject, elder_id: int) -> list[ThresholdRead]:
    """The limits in force for each watched metric of an elder: their own or the defaults."""
    _require_any(subject, Perm.ALARM_READ, Perm.ELDER_READ)
    _elder(session, subject, elder_id)
    own = {r.metric: r for r in rule_repository.thresholds_of(session, elder_id)}
    return [_read(m, own.get(str(m))) for m in rules.DEFAULT_LIMITS]


def page(
    session: Session, subject: Subject, elder_id: int
) -> tuple[Elder, list[ThresholdRead], bool]:
    """The elder, the limits in force, and whether the reader may change them (for the page)."""
    rows = list_thresholds(session, subject, elder_id)
    elder = _elder(session, subject, elder_id)
    return elder, rows, subject.can(Perm.ALARM_HANDLE) or subject.can(Perm.ELDER_WRITE)


def _values(row: AlarmThreshold) -> dict[str, Any]:
    return {
        name: getattr(row, name)
        for name in (
            "major_high", "critical_high", "major_low", "critical_low", "consecutive",
            "window_start", "window_end", "silence_minutes", "note",
        )
    }  # fmt: skip


def set_threshold(
    session: Session,
    subject: Subject,
    elder_id: int,
    metric: str,
    data: ThresholdIn,
    *,
    now: datetime,
) -> ThresholdRead:
    """Set the elder's own limits for a metric (replacing earlier ones); 422 on nonsense."""
    _require_any(subject, Perm.ALARM_HANDLE, Perm.ELDER_WRITE)
    elder = _elder(session, subject, elder_id)
    which = _metric(metric)
    limits = rules.Limits(data.major_high, data.critical_high, data.major_low, data.critical_low)
    if (problem := limits.problem()) is not None:
        raise Invalid(_PROBLEMS[problem], code=problem, field=_PROBLEM_FIELDS[problem])
    if (data.window_start is None) != (data.window_end is None):
        raise Invalid(
            N_("Give both the start and the end of the daily window, or neither."),
            code="half_window",
            field="window_end",
        )
    if data.window_start is not None and data.window_start == data.window_end:
        raise Invalid(
            N_("The daily window must not start and end at the same time."),
            code="empty_window",
            field="window_end",
        )
    row = rule_repository.threshold(session, elder.id, str(which))
    before = _values(row) if row is not None else None
    if row is None:
        row = AlarmThreshold(elder_id=elder.id, metric=str(which))
        session.add(row)
    for name, value in data.model_dump().items():
        setattr(row, name, value)
    row.set_by_id = subject.user_id
    row.set_by_name = subject.display_name[:64]
    row.set_at = now
    session.flush()
    audit.record(
        session, subject, "update" if before else "create", "alarm_threshold", row.id,
        before=before, after={"metric": str(which), **_values(row)}, at=now,
    )  # fmt: skip
    return _read(which, row)


def remove_threshold(
    session: Session, subject: Subject, elder_id: int, metric: str, *, now: datetime
) -> ThresholdRead:
    """Go back to the defaults for a metric; returns the defaults now in force."""
    _require_any(subject, Perm.ALARM_HANDLE, Perm.ELDER_WRITE)
    elder = _elder(session, subject, elder_id)
    which = _metric(metric)
    row = rule_repository.threshold(session, elder.id, str(which))
    if row is not None:
        audit.record(
            session, subject, "delete", "alarm_threshold", row.id,
            before={"metric": str(which), **_values(row)}, at=now,
        )  # fmt: skip
        session.delete(row)
        session.flush()
    return _read(which, None)
