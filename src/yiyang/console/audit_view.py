"""The audit trail in words: local times, names instead of ids, a readable before/after diff.

Shared by the page, the JSON API and the exports, so that all three say the same thing and
mask ID numbers and phones the same way for a reader whose role does not see them in full.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import Field
from sqlalchemy.orm import Session

from yiyang.console.audit_labels import (
    ACTION_LABELS,
    CODED_FIELDS,
    ENTITY_LABELS,
    ENTITY_PAGES,
    FIELD_LABELS,
    PERM_LABELS,
    REFUSAL_LABELS,
    SIGN_IN_FAILURES,
    SIGN_IN_WORDS,
)
from yiyang.errors import N_
from yiyang.kit.localtime import CHINA_TZ, local_today
from yiyang.kit.money import fen_to_yuan_str
from yiyang.kit.pagination import PageParams
from yiyang.kit.types import PlainText
from yiyang.registry.areas import repository as area_repository
from yiyang.registry.elders import repository as elder_repository
from yiyang.registry.elders.schemas import ElderFilter
from yiyang.registry.vocab import LABELS as REGISTRY_LABELS
from yiyang.security.audit import repository as audit_repository
from yiyang.security.audit import service as audit_service
from yiyang.security.audit.models import AuditEvent
from yiyang.security.audit.schemas import AuditEntry, AuditFields, AuditFilter
from yiyang.security.audit.service import ENTITY
from yiyang.security.disclosure import Kind, Viewer, mask
from yiyang.security.roles import ROLE_LABELS, Perm
from yiyang.security.subject import Subject
from yiyang.web.i18n import translate

# Snapshot fields that hold the id of another record, shown by its name.
REF_FIELDS = {"street_id": "area", "community_id": "area", "elder_id": "elder"}
ELDER_MATCHES = 200  # an elder search narrows the trail to at most this many elders
CODE_WORDS: dict[str, str] = dict(REGISTRY_LABELS) | dict(ROLE_LABELS)
ACTOR_ROLES: dict[str, str] = dict(ROLE_LABELS) | {audit_service.ANONYMOUS: N_("Not signed in")}


class AuditQuery(AuditFields):
    """The audit filters as a reader types them: an elder by name or phone, not by id."""

    elder: PlainText | None = Field(default=None, min_length=1, max_length=64)


FILTER_KEYS = tuple(AuditQuery.model_fields)


def resolve(session: Session, subject: Subject, query: AuditQuery, now: datetime) -> AuditFilter:
    """The service's filter: an elder search becomes the ids of the elders it finds."""
    values = query.model_dump(exclude={"elder"}, exclude_none=True)
    if query.elder and subject.can(Perm.ELDER_READ):
        found, _, _ = elder_repository.search(
            session, subject, ElderFilter(q=query.elder), PageParams(size=ELDER_MATCHES),
            local_today(now),
        )  # fmt: skip
        values |= {"entity": "elder", "entity_ids": [e.id for e in found]}
    elif query.elder:
        values |= {"entity": "elder", "entity_ids": []}
    return AuditFilter.model_validate(values)


@dataclass(frozen=True)
class Change:
    """One field of a before/after diff, in words."""

    field: str
    before: str
    after: str


@dataclass(frozen=True)
class EntryView:
    """One audit row as a person reads it."""

    id: int
    seq: int | None
    at: str
    person: str
    username: str
    role: str
    action: str
    action_code: str
    record: str
    record_id: int | None
    record_name: str | None
    record_href: str | None
    summary: str
    changes: list[Change]
    ip: str


# Which sensitive kind a snapshot's field holds, by the kind of record it is a snapshot of.
_ELDER_KINDS = {
    "id_number": Kind.ELDER_ID_NUMBER, "phone": Kind.ELDER_PHONE,
    "mobility": Kind.ELDER_HEALTH, "conditions": Kind.ELDER_HEALTH,
    "away_reason": Kind.ELDER_HEALTH, "away_note": Kind.ELDER_HEALTH,
}  # fmt: skip
_STAFF_KINDS = {"id_number": Kind.STAFF_ID_NUMBER, "phone": Kind.STAFF_PHONE}
_CONTACT_KINDS = {"phone": Kind.CONTACT_PHONE}
_SIGN_IN_ACTIONS = {"login", "login_failed", "login_locked"}


class Words:
    """Turns audit rows into words for one reader in one locale."""

    def __init__(self, locale: str, reader: Subject) -> None:
        self.locale = locale
        self.viewer = Viewer(reader)
        self.refs: dict[str, dict[int, str]] = {}  # names of referenced records, by kind and id

    def _t(self, message: str, **params: object) -> str:
        return translate(self.locale, message, params or None)

    def _word(self, table: dict[str, str], code: str | None) -> str:
        if not code:
            return ""
        source = table.get(code)
        return self._t(source) if source else code

    def action(self, code: str) -> str:
        return self._word(ACTION_LABELS, code)

    def entity(self, code: str) -> str:
        return self._word(ENTITY_LABELS, code)

    def role(self, code: str) -> str:
        return self._word(ACTOR_ROLES, code)

    def field(self, key: str) -> str:
        return self._word(FIELD_LABELS, key)

    def masked(self, entity: str, snapshot: Any) -> Any:
        """A record's snapshot with its ID numbers and phones as the reader may see them
        (security.disclosure decides), however deep they sit."""
        return self._masked(_STAFF_KINDS if entity == "staff" else _ELDER_KINDS, "", snapshot)

    def _masked(self, kinds: dict[str, Kind], key: str, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self._masked(kinds, k, v) for k, v in value.items()}
        if isinstance(value, list):
            inner = _CONTACT_KINDS if key == "contacts" else kinds
            return [self._masked(inner, key, v) for v in value]
        if isinstance(value, str) and key in kinds:
            return mask(kinds[key], value, self.viewer)
        return value

    def value(self, key: str, value: Any) -> str:
        """A stored value in words: yes/no, local times, code words, money, nested lists."""
        if value is None or value == "":
            return "—"
        if isinstance(value, bool):
            return self._t(N_("Yes")) if value else self._t(N_("No"))
        if isinstance(value, dict):
            return "; ".join(f"{self.field(k)}: {self.value(k, v)}" for k, v in value.items())
        if isinstance(value, list):
            return "、".join(self.value(key, v) for v in value) or "—"
        if key == "price_fen" and isinstance(value, int):
            return fen_to_yuan_str(value)
        if key in REF_FIELDS and isinstance(value, int):
            found = self.refs.get(REF_FIELDS[key], {}).get(value)
            return found or self._t(N_("no. %(id)s"), id=value)
        if isinstance(value, str):
            if key == "action":
                return self.action(value)
            if key == "entity":
                return self.entity(value)
            if key in CODED_FIELDS:
                return self._word(CODE_WORDS, value)
            return _local_time(value) or value
        return str(value)

    def changes(self, event: AuditEvent) -> list[Change]:
        """The before/after of a row, field by field, masked for the reader."""
        if event.action == "refused" or event.entity == ENTITY:
            return []
        before = self.masked(event.entity, event.before or {})
        after = self.masked(event.entity, event.after or {})
        keys = list(after) + [k for k in before if k not in after]
        return [
            Change(
                self.field(k),
                self.value(k, before[k]) if k in before else "",
                self.value(k, after[k]) if k in after else "",
            )
            for k in keys
        ]

    def summary(self, event: AuditEvent) -> str:
        """One line saying what the row is about beyond its action (refusals say what was asked)."""
        if event.action == "refused":
            after = event.after or {}
            why = self._refusal(after)
            return f"{why} · {after.get('method', '')} {after.get('path', '')}".strip()
        if event.entity == ENTITY:  # a reading or an export of the trail: its filter and size
            after = event.after or {}
            rows = after.get("total", after.get("count"))
            chosen = after.get("filter")
            parts = [self.value("filter", chosen) if chosen else self._t(N_("No filter"))]
            if rows is not None:
                parts.append(self._t(N_("Rows: %(count)s"), count=rows))
            if after.get("format"):
                parts.append(str(after["format"]).upper())
            return " · ".join(parts)
        return self._sign_in(event) if event.action in _SIGN_IN_ACTIONS else event.detail or ""

    def _sign_in(self, event: AuditEvent) -> str:
        """How someone signed in, why they could not, or until when their account is locked."""
        detail = event.detail or ""
        if event.action == "login":
            words = [self._word(SIGN_IN_WORDS, part) for part in detail.split("+")]
            return " + ".join(words)
        if event.action == "login_failed":
            return self._word(SIGN_IN_FAILURES, detail)
        until = _local_time(detail)
        return self._t(N_("Locked until %(time)s"), time=until) if until else ""

    def _refusal(self, after: dict[str, Any]) -> str:
        """Why a request was refused: the permission missing, else the refusal's own words."""
        code = after.get("code")
        if after.get("permission"):
            return self._word(PERM_LABELS, after["permission"])
        if code in REFUSAL_LABELS or not after.get("message"):
            return self._word(REFUSAL_LABELS, code)
        params = after.get("params") or {}
        return translate(self.locale, str(after["message"]), params if params else None)

    def entry(
        self, event: AuditEvent, display_name: str | None, names: dict[str, dict[int, str]]
    ) -> EntryView:
        """The view of one row; `names` maps kinds of record to their names by id."""
        href = ENTITY_PAGES.get(event.entity)
        return EntryView(
            id=event.id, seq=event.seq, at=local_text(event.at),
            person=display_name or event.actor_name, username=event.actor_name,
            role=self.role(event.actor_role), action=self.action(event.action),
            action_code=event.action, record=self.entity(event.entity), record_id=event.entity_id,
            record_name=names.get(event.entity, {}).get(event.entity_id or 0),
            record_href=href.format(id=event.entity_id) if href and event.entity_id else None,
            summary=self.summary(event), changes=self.changes(event), ip=event.ip or "",
        )  # fmt: skip

    def api_entry(self, view: EntryView, event: AuditEvent, display_name: str | None) -> AuditEntry:
        """The JSON shape of one row: its codes, their words, and masked before/after."""
        return AuditEntry(
            id=event.id, seq=event.seq, at=event.at, actor_id=event.actor_id,
            actor_name=event.actor_name, actor_display_name=display_name,
            actor_role=event.actor_role, actor_role_label=view.role, action=event.action,
            action_label=view.action, entity=event.entity, entity_label=view.record,
            entity_id=event.entity_id, entity_name=view.record_name,
            before=self.masked(event.entity, event.before) if event.before is not None else None,
            after=self.masked(event.entity, event.after) if event.after is not None else None,
            ip=event.ip, detail=event.detail, prev_hash=event.prev_hash, row_hash=event.row_hash,
        )  # fmt: skip


def local_text(at: datetime) -> str:
    """'2026-11-23 09:00:05' in China time."""
    return at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S")


def _local_time(text: str) -> str | None:
    """An ISO timestamp with a zone, as local time; None for anything else."""
    if "T" not in text or len(text) < 16:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")


def record_names(
    session: Session, subject: Subject, events: Iterable[AuditEvent]
) -> dict[str, dict[int, str]]:
    """Names of the elders, accounts and areas a batch of rows is about or refers to."""
    ids: dict[str, set[int]] = {"elder": set(), "user": set(), "area": set()}
    for event in events:
        if event.entity in ids and event.entity_id is not None:
            ids[event.entity].add(event.entity_id)
        for snapshot in (event.before or {}, event.after or {}):
            for key, kind in REF_FIELDS.items():
                if isinstance(snapshot.get(key), int):
                    ids[kind].add(snapshot[key])
    areas = area_repository.by_ids(session, ids["area"])
    return {
        "elder": elder_repository.names(session, subject, ids["elder"]),
        "user": audit_repository.display_names(session, ids["user"]),
        "area": {area_id: area.name for area_id, area in areas.items()},
    }


def views(
    session: Session, subject: Subject, words: Words, rows: Sequence[tuple[AuditEvent, str | None]]
) -> list[EntryView]:
    """The views of one page of rows (names looked up once for the page)."""
    names = record_names(session, subject, (event for event, _ in rows))
    words.refs = names
    return [words.entry(event, name, names) for event, name in rows]
