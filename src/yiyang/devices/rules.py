"""Pure decisions about devices: identity formats, what may be bound where, and states.

Values in, values out: no session, no clock (`now` is an argument), no I/O.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from yiyang.devices.kinds import KINDS, DeviceKind, DeviceStatus
from yiyang.errors import N_, FieldProblem
from yiyang.protocols.vocabulary import IdentityScheme

LOW_BATTERY_PCT = 20
_MAC_HEX = re.compile(r"[0-9A-Fa-f]{12}")
_SERIAL = re.compile(r"[0-9A-Za-z][0-9A-Za-z\-_./]{2,63}")


def luhn_ok(digits: str) -> bool:
    """Whether a string of digits passes the Luhn check (the IMEI's last digit)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def imei_check_digit(body14: str) -> str:
    """The Luhn digit that completes a 14-digit IMEI body."""
    for digit in "0123456789":
        if luhn_ok(body14 + digit):
            return digit
    raise AssertionError("unreachable: one digit always completes a Luhn number")


def normalise_identity(scheme: str, raw: str, *, field: str) -> tuple[str, FieldProblem | None]:
    """The stored form of one identity (IMEI digits, MAC as AA:BB:…, serial trimmed) or why not.

    IMEI: 15 digits (spaces and dashes allowed) whose last is the Luhn check digit. MAC: 12
    hex digits with or without ':', '-' or '.' separators, stored upper case with colons.
    Serial: 3–64 letters, digits and - _ . /, kept as typed.
    """
    value = raw.strip()
    if scheme == IdentityScheme.IMEI:
        digits = re.sub(r"[\s\-]", "", value)
        if not (len(digits) == 15 and digits.isascii() and digits.isdigit()):
            return value, FieldProblem(
                field,
                "imei_format",
                N_("An IMEI has 15 digits (found “%(value)s”)."),
                {"value": value[:40]},
            )
        if not luhn_ok(digits):
            return value, FieldProblem(
                field,
                "imei_check",
                N_("The IMEI %(value)s fails its check digit: a typing error?"),
                {"value": digits},
            )
        return digits, None
    if scheme == IdentityScheme.MAC:
        hexes = re.sub(r"[\s:\-.]", "", value)
        if not _MAC_HEX.fullmatch(hexes):
            return value, FieldProblem(
                field,
                "mac_format",
                N_("A MAC address has 12 hex digits, like 3C:71:BF:0A:12:EF (found “%(value)s”)."),
                {"value": value[:40]},
            )
        hexes = hexes.upper()
        return ":".join(hexes[i : i + 2] for i in range(0, 12, 2)), None
    if scheme == IdentityScheme.SERIAL:
        if not _SERIAL.fullmatch(value):
            return value, FieldProblem(
                field,
                "serial_format",
                N_("A serial number has 3 to 64 letters, digits or - _ . / (found “%(value)s”)."),
                {"value": value[:40]},
            )
        return value, None
    return value, FieldProblem(
        field, "scheme", N_("Unknown kind of identity “%(value)s”."), {"value": scheme[:16]}
    )


@dataclass(frozen=True)
class IdentityIn:
    """One identity as given: the scheme and the raw value."""

    scheme: str
    value: str


def check_identities(
    items: list[IdentityIn], *, field: str = "identities"
) -> tuple[list[tuple[str, str]], list[FieldProblem]]:
    """Normalised (scheme, value) pairs, or every problem: none given, bad format, repeats."""
    if not items:
        return [], [
            FieldProblem(
                field, "required", N_("Give at least one identity: an IMEI, a serial or a MAC.")
            )
        ]
    pairs: list[tuple[str, str]] = []
    problems: list[FieldProblem] = []
    for i, item in enumerate(items):
        value, problem = normalise_identity(item.scheme, item.value, field=f"{field}.{i}.value")
        if problem:
            problems.append(problem)
        elif (item.scheme, value) in pairs:
            problems.append(
                FieldProblem(
                    f"{field}.{i}.value",
                    "repeated",
                    N_("The identity %(value)s is given twice."),
                    {"value": value},
                )
            )
        else:
            pairs.append((item.scheme, value))
    return pairs, problems


def secret_hash(secret: str) -> str:
    """How a device's secret is stored: its sha256 in hex (the secret itself is shown once)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def is_worn(kind: str) -> bool:
    """Whether a kind is worn by one elder (bound to the elder) rather than fixed in a home."""
    return KINDS[DeviceKind(kind)].worn


def bind_problem(status: str) -> str | None:
    """Why a device in this state cannot be bound, or None."""
    if status == DeviceStatus.RETIRED:
        return N_("This device is retired and cannot be bound again.")
    return None


def replace_problems(
    *, old_status: str, old_bound: bool, new_status: str, new_bound: bool, same_kind: bool
) -> list[str]:
    """Why the new device cannot take the old one's place (empty when it can)."""
    problems: list[str] = []
    if old_status == DeviceStatus.RETIRED:
        problems.append(N_("The device to replace is already retired."))
    if not old_bound:
        problems.append(N_("The device to replace is not bound to anyone: bind the new one."))
    if new_status == DeviceStatus.RETIRED:
        problems.append(N_("The replacement device is retired."))
    elif new_bound:
        problems.append(N_("The replacement device is already bound elsewhere: unbind it first."))
    if not same_kind:
        problems.append(N_("A device is replaced by one of the same kind."))
    return problems


def is_low_battery(battery_pct: int | None) -> bool:
    """Whether the last battery reading is at or under the low mark."""
    return battery_pct is not None and battery_pct <= LOW_BATTERY_PCT
