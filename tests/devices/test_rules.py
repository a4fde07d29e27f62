"""Device rules without a database: identity formats, Luhn, binding and replacement checks."""

from __future__ import annotations

import pytest

from yiyang.devices import rules
from yiyang.devices.rules import IdentityIn


def test_luhn_and_check_digit() -> None:
    assert rules.luhn_ok("490154203237518")
    assert not rules.luhn_ok("490154203237519")
    assert rules.imei_check_digit("49015420323751") == "8"


@pytest.mark.parametrize(
    ("raw", "stored"),
    [("490154203237518", "490154203237518"), ("49-015420-323751-8", "490154203237518"),
     (" 4901 5420 3237 518 ", "490154203237518")],
)  # fmt: skip
def test_imei_is_stored_as_its_digits(raw: str, stored: str) -> None:
    assert rules.normalise_identity("imei", raw, field="f") == (stored, None)


@pytest.mark.parametrize(
    ("raw", "code"),
    [("49015420323751", "imei_format"), ("4901542032375188", "imei_format"),
     ("49015420323751A", "imei_format"), ("490154203237519", "imei_check"),
     ("４９０１５４２０３２３７５１８", "imei_format")],
)  # fmt: skip
def test_bad_imeis_are_refused_in_words(raw: str, code: str) -> None:
    _, problem = rules.normalise_identity("imei", raw, field="identities.0.value")
    assert problem is not None and problem.code == code
    assert problem.field == "identities.0.value"


@pytest.mark.parametrize(
    "raw", ["3c:71:bf:0a:12:ef", "3C-71-BF-0A-12-EF", "3c71.bf0a.12ef", "3C71BF0A12EF"]
)
def test_mac_is_normalised(raw: str) -> None:
    assert rules.normalise_identity("mac", raw, field="f") == ("3C:71:BF:0A:12:EF", None)


@pytest.mark.parametrize("raw", ["3C:71:BF:0A:12", "ZZ:71:BF:0A:12:EF", "3C71BF0A12EF00"])
def test_bad_macs_are_refused(raw: str) -> None:
    assert rules.normalise_identity("mac", raw, field="f")[1] is not None


def test_serials_are_free_but_sane() -> None:
    assert rules.normalise_identity("serial", " SN-2026/0001 ", field="f") == ("SN-2026/0001", None)
    assert rules.normalise_identity("serial", "ab", field="f")[1] is not None
    assert rules.normalise_identity("serial", "has space", field="f")[1] is not None


def test_identities_need_one_and_no_repeats() -> None:
    assert rules.check_identities([])[1][0].code == "required"
    pairs, problems = rules.check_identities(
        [IdentityIn("mac", "3c71bf0a12ef"), IdentityIn("mac", "3C:71:BF:0A:12:EF"),
         IdentityIn("imei", "490154203237518")]
    )  # fmt: skip
    assert pairs == [("mac", "3C:71:BF:0A:12:EF"), ("imei", "490154203237518")]
    assert [(p.field, p.code) for p in problems] == [("identities.1.value", "repeated")]


def test_secret_is_kept_as_its_sha256() -> None:
    assert rules.secret_hash("abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def test_worn_and_fixed_kinds() -> None:
    assert rules.is_worn("vitals_band") and rules.is_worn("wearable_button")
    assert not rules.is_worn("pull_cord") and not rules.is_worn("smart_mattress")


def test_replacement_needs_a_bound_old_and_a_free_new_of_the_same_kind() -> None:
    ok = dict(old_status="installed", old_bound=True, new_status="in_stock", new_bound=False,
              same_kind=True)  # fmt: skip
    assert rules.replace_problems(**ok) == []  # type: ignore[arg-type]
    assert rules.replace_problems(**ok | {"old_bound": False})  # type: ignore[arg-type]
    assert rules.replace_problems(**ok | {"new_bound": True})  # type: ignore[arg-type]
    assert rules.replace_problems(**ok | {"same_kind": False})  # type: ignore[arg-type]
    assert rules.replace_problems(**ok | {"new_status": "retired"})  # type: ignore[arg-type]
    assert rules.bind_problem("retired") and rules.bind_problem("in_stock") is None


def test_low_battery() -> None:
    assert rules.is_low_battery(20) and not rules.is_low_battery(21)
    assert not rules.is_low_battery(None)
