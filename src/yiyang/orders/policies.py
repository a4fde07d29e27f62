"""Subsidy policies as data: list, read, add a version from a date, retire from a date.

A version never changes once written: a change is a new version from a day not yet priced,
and the quote uses the version in force on the service date (subsidy_rules.in_force).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from yiyang.errors import N_, Conflict, Invalid, NotFound
from yiyang.orders import policy_repository as repo
from yiyang.orders import subsidy_rules as subsidy
from yiyang.orders.models import SubsidyPolicy
from yiyang.orders.policy_schemas import (
    PolicyCreate,
    PolicyRetire,
    PolicySummary,
    PolicyVersionIn,
    PolicyVersionRead,
)
from yiyang.orders.repository import to_facts
from yiyang.security.audit import service as audit
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject

PROBLEMS = {
    "past": N_("A new version starts today or later: days already priced keep their version."),
    "not_after_latest": N_(
        "A version already starts on or after that day; choose a later effective date."
    ),
}


def _read(p: SubsidyPolicy) -> PolicyVersionRead:
    return PolicyVersionRead.model_validate(p)


def summarise(versions: list[SubsidyPolicy], today: date) -> PolicySummary:
    """One policy's place today: in force, only planned, or retired."""
    facts = {p.id: p for p in versions}
    now = subsidy.version_on([to_facts(p) for p in versions], today)
    current = facts[now.id] if now else None
    upcoming = next((p for p in versions if p.effective_date > today), None)
    latest = versions[-1]
    state = (
        "in_force" if current else ("planned" if upcoming and not upcoming.retired else "retired")
    )
    return PolicySummary(
        code=latest.code,
        current=_read(current) if current else None,
        upcoming=_read(upcoming) if upcoming else None,
        latest=_read(latest),
        versions=len(versions),
        state=state,
    )


def list_policies(session: Session, subject: Subject, today: date) -> list[PolicySummary]:
    """Every policy of the district with the version in force today."""
    subject.require(Perm.CATALOG_READ)
    by_code: dict[str, list[SubsidyPolicy]] = {}
    for p in repo.all_versions(session):
        by_code.setdefault(p.code, []).append(p)
    return [summarise(v, today) for v in by_code.values()]


def read_policy(
    session: Session, subject: Subject, code: str, today: date
) -> tuple[PolicySummary, list[PolicyVersionRead]]:
    """One policy and all its versions, oldest first."""
    subject.require(Perm.CATALOG_READ)
    versions = repo.versions_of(session, code)
    if not versions:
        raise NotFound(N_("Policy %(code)s not found."), code=code)
    return summarise(versions, today), [_read(p) for p in versions]


def _fen(yuan: Decimal | None) -> int | None:
    return None if yuan is None else int(yuan * 100)


def _check_date(versions: list[SubsidyPolicy], effective_date: date, today: date) -> None:
    problem = subsidy.new_version_problem(
        [p.effective_date for p in versions], effective_date, today
    )
    if problem == "past":
        raise Invalid(PROBLEMS[problem], field="effective_date", code=problem)
    if problem:
        raise Conflict(PROBLEMS[problem], field="effective_date", code=problem)


def _fields(data: PolicyVersionIn) -> dict[str, Any]:
    """What a version stores of a form or API body."""
    return {
        "name": data.name.strip(),
        "name_en": data.name_en.strip(),
        "eligibility": [c.stored() for c in data.eligibility if c.stored()],
        "item_codes": sorted({c.strip() for c in data.item_codes if c.strip()}),
        "share_percent": data.share_percent,
        "per_order_cap_fen": _fen(data.per_order_cap_yuan),
        "monthly_quota_fen": _fen(data.monthly_quota_yuan),
        "monthly_quota_count": data.monthly_quota_count,
        "weekly_quota_count": data.weekly_quota_count,
        "priority": data.priority,
        "notes": (data.notes or "").strip() or None,
    }


COPIED = (
    "name", "name_en", "eligibility", "item_codes", "share_percent", "per_order_cap_fen",
    "monthly_quota_fen", "monthly_quota_count", "weekly_quota_count", "priority", "notes",
)  # fmt: skip


def _row(
    code: str,
    effective_date: date,
    fields: dict[str, Any],
    subject: Subject,
    now: datetime,
    *,
    retired: bool = False,
) -> SubsidyPolicy:
    return SubsidyPolicy(
        code=code,
        effective_date=effective_date,
        **fields,
        active=True,
        retired=retired,
        created_by_id=subject.user_id,
        created_at=now,
    )


def _save(session: Session, subject: Subject, row: SubsidyPolicy, action: str) -> SubsidyPolicy:
    session.add(row)
    session.flush()
    audit.record(
        session,
        subject,
        action,
        "subsidy_policy",
        row.id,
        after=_read(row).model_dump(mode="json"),
        at=row.created_at,
    )
    return row


def _versions_to_change(
    session: Session, subject: Subject, code: str, effective_date: date, today: date
) -> list[SubsidyPolicy]:
    """The versions of a policy, locked, once a new one may start on `effective_date`."""
    subject.require(Perm.POLICY_WRITE)
    versions = repo.versions_of(session, code, lock=True)
    if not versions:
        raise NotFound(N_("Policy %(code)s not found."), code=code)
    if versions[-1].retired:
        raise Conflict(
            N_("This policy is retired already."), field="effective_date", code="retired"
        )
    _check_date(versions, effective_date, today)
    return versions


def add_version(
    session: Session,
    subject: Subject,
    code: str,
    data: PolicyVersionIn,
    *,
    today: date,
    now: datetime,
) -> SubsidyPolicy:
    """A new version of an existing policy from a day not yet priced (409 when one is later)."""
    _versions_to_change(session, subject, code, data.effective_date, today)
    row = _row(code, data.effective_date, _fields(data), subject, now)
    return _save(session, subject, row, "policy_version")


def create_policy(
    session: Session, subject: Subject, data: PolicyCreate, *, today: date, now: datetime
) -> SubsidyPolicy:
    """A policy new to the district, as its version 1."""
    subject.require(Perm.POLICY_WRITE)
    if repo.versions_of(session, data.code, lock=True):
        raise Conflict(
            N_("A policy with the code %(policy)s exists already."),
            field="code",
            code="exists",
            policy=data.code,
        )
    _check_date([], data.effective_date, today)
    row = _row(data.code, data.effective_date, _fields(data), subject, now)
    return _save(session, subject, row, "policy_create")


def retire(
    session: Session,
    subject: Subject,
    code: str,
    data: PolicyRetire,
    *,
    today: date,
    now: datetime,
) -> SubsidyPolicy:
    """End a policy from a date: a retired copy of the latest version (history unchanged)."""
    versions = _versions_to_change(session, subject, code, data.effective_date, today)
    last = versions[-1]
    fields = {k: getattr(last, k) for k in COPIED}
    row = _row(code, data.effective_date, fields, subject, now, retired=True)
    return _save(session, subject, row, "policy_retire")
