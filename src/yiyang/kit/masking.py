"""Masking of identity and phone numbers for roles that do not need them in full."""

from __future__ import annotations


def mask_id_number(number: str | None) -> str | None:
    """Keep the area prefix and the last four characters: 410105********123X."""
    if not number:
        return number
    if len(number) <= 8:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_phone(phone: str | None) -> str | None:
    """Keep the first three and last four digits: 138****5678."""
    if not phone:
        return phone
    if len(phone) <= 7:
        return phone[:1] + "*" * (len(phone) - 1)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_name(name: str | None) -> str | None:
    """Keep the family name only: 张** (for exports shared outside the scope)."""
    if not name:
        return name
    return name[0] + "*" * (len(name) - 1)
