"""The masks themselves: what of an ID or phone number is left to see."""

from datetime import date

from yiyang.kit.idcard import check_char, make_id_number
from yiyang.kit.masking import mask_id_number, mask_phone


def test_id_mask_keeps_only_the_area_code() -> None:
    number = make_id_number("410105", date(1948, 5, 17), 21, "F")
    masked = mask_id_number(number)
    assert masked == "410105" + "*" * 12
    assert "19480517" not in masked and number[-4:] not in masked  # no birth date, no check digit
    assert mask_id_number(masked) == masked  # masking twice changes nothing


def test_id_mask_of_short_or_empty_values() -> None:
    assert mask_id_number("12345") == "*****"
    assert mask_id_number("") == "" and mask_id_number(None) is None


def test_the_mask_does_not_narrow_the_sequence() -> None:
    # Even with the birth date guessed, every sequence of the known sex gives the same mask:
    # 500 numbers per birth date to try, about 366 × 500 once only the age is known.
    numbers = {f"41010519480517{seq:03d}" for seq in range(0, 1000, 2)}
    numbers = {n + check_char(n) for n in numbers}
    assert len(numbers) == 500 and len({mask_id_number(n) for n in numbers}) == 1


def test_phone_mask_keeps_three_and_four_digits() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("0371-6000000") == "037*****0000"
    assert mask_phone("12345") == "1****"
    assert mask_phone(None) is None
