"""Bounded input types for every schema edge: ids, pages, plain text, names, sane dates."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime
from typing import Annotated

from annotated_types import Interval
from pydantic import AfterValidator, BeforeValidator, StringConstraints
from pydantic_core import PydanticCustomError

MAX_ROW_ID = 2**63 - 1  # the largest BIGINT (and SQLite INTEGER)
MAX_PAGE = 1_000_000
MAX_PAGE_SIZE = 500
FIRST_YEAR, LAST_YEAR = 1900, 2100
_LINE_BREAKS = frozenset("\n\r\t")


def bad_character(value: str, *, multiline: bool = False) -> str | None:
    """The first control, surrogate or unassigned character in `value` (NUL too), or None."""
    for ch in value:
        if multiline and ch in _LINE_BREAKS:
            continue
        if unicodedata.category(ch) in ("Cc", "Cs", "Cn") or ch in "\u2028\u2029":
            return ch
    return None


def _refuse_control(ch: str) -> PydanticCustomError:
    return PydanticCustomError(
        "control_character",
        "must not contain control characters (found {char})",
        {"char": f"U+{ord(ch):04X}"},
    )


def _single_line(value: str) -> str:
    if (ch := bad_character(value)) is not None:
        raise _refuse_control(ch)
    return value


def _multi_line(value: str) -> str:
    if (ch := bad_character(value, multiline=True)) is not None:
        raise _refuse_control(ch)
    return value


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def _non_empty(value: str) -> str:
    if not value:
        raise PydanticCustomError("blank", "must not be empty or only spaces")
    return value


def _out_of_range() -> PydanticCustomError:
    return PydanticCustomError(
        "year_range",
        "must lie between the years {first} and {last}",
        {"first": FIRST_YEAR, "last": LAST_YEAR},
    )


def _sane_date(value: date) -> date:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise _out_of_range()
    return value


def _sane_datetime(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise PydanticCustomError("timezone_aware", "must carry a time zone offset")
    if not FIRST_YEAR < value.year < LAST_YEAR:  # a year inside, so any offset stays in range
        raise _out_of_range()
    return value.astimezone(UTC)


# A database row id: what a BIGINT holds, so a path like /elders/99999999999999999999 is a 422.
RowId = Annotated[int, Interval(ge=1, le=MAX_ROW_ID)]
PageNumber = Annotated[int, Interval(ge=1, le=MAX_PAGE)]
PageSize = Annotated[int, Interval(ge=1, le=MAX_PAGE_SIZE)]
# One line of text without control characters (NUL breaks PostgreSQL, others break .xlsx).
PlainText = Annotated[str, AfterValidator(_single_line)]
# Free text that may span lines (notes, reasons): tabs and line breaks only.
LongText = Annotated[str, AfterValidator(_multi_line)]
# A name or label: trimmed, not empty, one line of printable text.
Name = Annotated[
    str, BeforeValidator(_strip), AfterValidator(_single_line), AfterValidator(_non_empty)
]
# A search term: trimmed, one line; empty means no search.
SearchText = Annotated[str, BeforeValidator(_strip), AfterValidator(_single_line)]
SaneDate = Annotated[date, AfterValidator(_sane_date)]
# An aware time in the sane years, converted to UTC (no OverflowError on extreme offsets).
SaneDateTime = Annotated[datetime, AfterValidator(_sane_datetime)]


def parse_row_id(text: str | None) -> int | None:
    """A row id from a query or form string, or None when it is not one ("²", "-1", 2**64)."""
    text = (text or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    value = int(text)
    return value if 0 < value <= MAX_ROW_ID else None


def parse_page(text: str | None) -> int:
    """A page number from a query string: 1 unless it is a sane positive number."""
    text = (text or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 7:
        return 1
    return min(max(1, int(text)), MAX_PAGE)


# A month as YYYY-MM within the sane years (so 0000-01 is a 422, not a crash on date()).
Month = Annotated[
    str, StringConstraints(pattern=r"^(19\d\d|20\d\d|2100)-(0[1-9]|1[0-2])$", max_length=7)
]
# A short code (area, catalog item) from a path: printable, bounded.
Code = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(_single_line)]


def parse_sane_date(text: str | None) -> date | None:
    """A YYYY-MM-DD date from a query or form string in the sane years, else None."""
    try:
        day = date.fromisoformat((text or "").strip())
    except ValueError:
        return None
    return day if FIRST_YEAR <= day.year <= LAST_YEAR else None
