"""The rule states of one ingest transaction as plain rows: locked in bulk, written back once.

A batch of messages reads and updates hundreds of rule states; as ORM objects their loading,
change tracking and flush cost more than the rules themselves. Here each state is a plain
row (`StateRow`, the columns of `rule_state`), locked FOR UPDATE when first read (in bulk for
a batch, `Book.lock`, in a stable order), made when missing, and written back in one
executemany of the rows that changed (`Book.save`). The book lives in the session's `info`
for one intake (`open_book` … `close_book`); the sweeps and timers keep the ORM `RuleState`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from operator import attrgetter
from typing import Any

from sqlalchemy.orm import Session

from yiyang.alarms import rule_repository
from yiyang.alarms.rules import Override
from yiyang.protocols.vocabulary import Metric

BOOK = "yiyang.rule_book"


@dataclass(slots=True)
class StateRow:
    """One rule's memory for one owner: the columns of `rule_state`, in its order."""

    id: int
    owner: str
    rule_key: str
    device_id: int | None
    elder_id: int | None
    consecutive: int
    last_value: float | None
    last_reading_at: datetime | None
    fired: bool
    fired_type: str | None
    level: int | None
    silence_until: datetime | None
    pending_since: datetime | None
    last_event_at: datetime | None
    reason: str | None
    data: dict[str, Any]
    updated_at: datetime


assert tuple(f.name for f in fields(StateRow)) == rule_repository.STATE_COLUMNS
_VALUES = attrgetter(*(f.name for f in fields(StateRow)))


def _values(row: StateRow) -> tuple[Any, ...]:
    """The row's columns, its data copied (a rule that changed the dict in place is seen)."""
    values: tuple[Any, ...] = _VALUES(row)
    return (*values[:15], dict(row.data), values[16])


@dataclass(frozen=True, slots=True)
class StateKey:
    """A rule state an intake will read: made empty if it does not exist yet."""

    owner: str
    rule_key: str
    device_id: int | None
    elder_id: int | None


class Book:
    """The rule states one intake locked, what they were when read (to save changes), and
    the thresholds of its elders."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.session = session
        self.now = now
        self.rows: dict[tuple[str, str], StateRow] = {}
        self.read: dict[int, tuple[Any, ...]] = {}
        self.overrides: dict[int, dict[Metric, Override]] = {}  # the elders' own thresholds

    def _keep(self, found: list[tuple[Any, ...]]) -> None:
        for values in found:
            row = StateRow(*values)
            key = (row.owner, row.rule_key)
            if key not in self.rows:  # what this intake holds is newer than the table
                self.rows[key] = row
                self.read[row.id] = _values(row)

    def lock(self, keys: list[StateKey]) -> None:
        """Lock the states of these keys in one query (in key order), making the missing."""
        wanted = {(k.owner, k.rule_key): k for k in keys if (k.owner, k.rule_key) not in self.rows}
        if not wanted:
            return
        self._keep(rule_repository.lock_state_rows(self.session, sorted(wanted)))
        missing = [wanted[key] for key in sorted(wanted) if key not in self.rows]
        if missing:
            made = rule_repository.insert_state_rows(
                self.session,
                [(k.owner, k.rule_key, k.device_id, k.elder_id) for k in missing],
                now=self.now,
            )
            self._keep(made)
            raced = sorted(key for key in wanted if key not in self.rows)
            if raced:  # another process made them a moment ago: its commit is waited for
                self._keep(rule_repository.lock_state_rows(self.session, raced))

    def get(
        self, owner: str, rule_key: str, *, device_id: int | None, elder_id: int | None
    ) -> StateRow:
        """The rule's state for this owner, locked; made empty the first time."""
        row = self.rows.get((owner, rule_key))
        if row is None:
            self.lock([StateKey(owner, rule_key, device_id, elder_id)])
            row = self.rows[(owner, rule_key)]
        return row

    def adopt(self, found: list[tuple[Any, ...]]) -> list[StateRow]:
        """States another query locked, as this book's rows (the book's own if it has them)."""
        self._keep(found)
        return [self.rows[(values[1], values[2])] for values in found]

    def save(self) -> int:
        """Write back the states that changed, in one executemany; how many."""
        now = [(row.id, _values(row)) for row in self.rows.values()]
        changed = [(i, values) for i, values in now if values != self.read[i]]
        rule_repository.update_state_rows(self.session, [v for _, v in changed])
        self.read.update(changed)
        return len(changed)


def open_book(session: Session, now: datetime) -> Book:
    """Start the intake's book of rule states (on the session, for the rules to find)."""
    book = Book(session, now)
    session.info[BOOK] = book
    return book


def book_of(session: Session) -> Book:
    """The book of the intake running on this session (the rules read their states there)."""
    book = session.info.get(BOOK)
    assert isinstance(book, Book), "rule states are read inside an intake (intake.take_all)"
    return book


def close_book(session: Session) -> None:
    """End the intake's book (its rows are saved or the transaction is given up)."""
    session.info.pop(BOOK, None)
