"""Masks of ID and phone numbers, for readers who may not see them in full.

Which reader sees what is decided in yiyang.security.disclosure; these only hide characters.
"""

from __future__ import annotations

AREA_DIGITS = 6  # the administrative area code that opens a citizen ID number


def mask_id_number(number: str | None) -> str | None:
    """Keep only the area code: 410105************.

    The birth date in the middle has about 366 values once the age is known, so a mask that
    shows the sequence and check digit (the last four) leaves some 33 candidates to try
    against an exact-ID search; hiding them leaves about 366 × 500.
    """
    if not number:
        return number
    if len(number) <= AREA_DIGITS:
        return "*" * len(number)
    return number[:AREA_DIGITS] + "*" * (len(number) - AREA_DIGITS)


def mask_phone(phone: str | None) -> str | None:
    """Keep the first three and last four digits: 138****5678."""
    if not phone:
        return phone
    if len(phone) <= 7:
        return phone[:1] + "*" * (len(phone) - 1)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_name(name: str | None) -> str | None:
    """Keep the family name only: 张** (to name an elder without revealing who)."""
    if not name:
        return name
    return name[0] + "*" * (len(name) - 1)
