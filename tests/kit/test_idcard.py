"""ID number parsing: checksum, birth date, sex, and the synthetic generator."""

from datetime import date

import pytest

from yiyang.kit.idcard import IdNumberError, age_on, check_char, make_id_number, parse_id_number


def test_known_valid_number() -> None:
    # The GB 11643 example number.
    facts = parse_id_number("11010519491231002X")
    assert facts.birth_date == date(1949, 12, 31)
    assert facts.sex == "F"
    assert facts.area_code == "110105"


def test_lowercase_x_and_spaces_are_normalised() -> None:
    assert parse_id_number(" 11010519491231002x ").number == "11010519491231002X"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("1101051949123100", "length"),
        ("11010519491231002Y", "characters"),
        ("01010519491231002X", "characters"),
        ("110105194902300021", "birth_date"),
        ("110105194912310021", "checksum"),
    ],
)
def test_bad_numbers_name_the_reason(raw: str, reason: str) -> None:
    with pytest.raises(IdNumberError) as exc:
        parse_id_number(raw)
    assert exc.value.reason == reason


def test_future_birth_date_is_refused() -> None:
    number = make_id_number("410105", date(2030, 1, 1), 1, "M")
    with pytest.raises(IdNumberError):
        parse_id_number(number, today=date(2026, 1, 1))


@pytest.mark.parametrize("sex", ["M", "F"])
def test_generator_makes_valid_numbers_of_the_right_sex(sex: str) -> None:
    for seq in range(50):
        number = make_id_number("410105", date(1940, 2, 29), seq, sex)
        facts = parse_id_number(number)
        assert facts.sex == sex
        assert check_char(number[:17]) == number[17]


def test_age_counts_birthdays() -> None:
    assert age_on(date(1946, 11, 24), date(2026, 11, 23)) == 79
    assert age_on(date(1946, 11, 23), date(2026, 11, 23)) == 80
