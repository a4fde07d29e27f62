"""Chinese citizen ID numbers (GB 11643-1999): checksum, birth date and sex."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_SHAPE = re.compile(r"^[1-9]\d{16}[\dX]$")


class IdNumberError(ValueError):
    """The ID number is malformed; `reason` is a stable code for messages."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class IdNumberFacts:
    """What an ID number tells: normalised number, area code, birth date, sex."""

    number: str
    area_code: str
    birth_date: date
    sex: str  # "M" or "F"


def check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def parse_id_number(raw: str, *, today: date | None = None) -> IdNumberFacts:
    """Validate an 18-character ID number and derive birth date and sex, or raise."""
    number = raw.strip().upper()
    if len(number) != 18:
        raise IdNumberError("length")
    if not _SHAPE.match(number):
        raise IdNumberError("characters")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise IdNumberError("birth_date") from exc
    if born.year < 1880 or (today is not None and born > today):
        raise IdNumberError("birth_date")
    if check_char(number[:17]) != number[17]:
        raise IdNumberError("checksum")
    sex = "M" if int(number[16]) % 2 == 1 else "F"
    return IdNumberFacts(number=number, area_code=number[:6], birth_date=born, sex=sex)


def make_id_number(area_code: str, born: date, sequence: int, sex: str) -> str:
    """Build a valid ID number (for synthetic demo data and tests)."""
    seq = sequence % 1000
    if (seq % 2 == 1) != (sex == "M"):
        seq = (seq + 1) % 1000
    first17 = f"{area_code}{born:%Y%m%d}{seq:03d}"
    return first17 + check_char(first17)


def age_on(born: date, on: date) -> int:
    """Completed years of age on a given date."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
