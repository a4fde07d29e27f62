"""Pure parts of the elder import: file recognition, decoding, headers and cell values."""

from __future__ import annotations

from datetime import date

import pytest

from yiyang.errors import Invalid, TooLarge
from yiyang.registry.elders.io_columns import BY_KEY, COLUMNS, format_value, header_key, parse_cell
from yiyang.registry.elders.io_rules import (
    column_of,
    decode_text,
    map_header,
    read_csv,
    row_to_schema,
    sniff,
)


def test_sniff_uses_bytes_not_names() -> None:
    assert sniff(b"PK\x03\x04rest") == "xlsx"
    assert sniff("身份证号,姓名\n".encode("gb18030")) == "csv"
    for content in (b"", b"  \n", b"%PDF-1.4", b"\x89PNG\r\n", b"a,b\x00c"):
        with pytest.raises(Invalid):
            sniff(content)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_decode_text_detects_the_encoding(encoding: str) -> None:
    text = "姓名,地址\n王秀英,文化路\n"
    assert decode_text(text.encode(encoding)) == text


def test_csv_delimiter_and_blank_rows() -> None:
    content = "身份证号\t姓名\n\n1\t王\n\t\n2\t李\n".encode()
    sheet = read_csv(content, max_rows=10)
    assert sheet.header == ["身份证号", "姓名"]
    assert [n for n, _ in sheet.rows] == [3, 5]
    with pytest.raises(TooLarge):
        read_csv(content, max_rows=1)


def test_headers_in_either_language() -> None:
    assert header_key("身份证号") == header_key(" ID_Number ") == "id_number"
    assert header_key("联系人2有钥匙") == "contact2_has_key"
    assert header_key("*姓名") == "name"
    assert header_key("血型") is None
    keys = [c.key for c in COLUMNS if c.required]
    assert map_header([*keys, ""], str) == [*keys, None]
    with pytest.raises(Invalid) as missing:
        map_header(["name"], lambda k: BY_KEY[k].zh)
    assert missing.value.code == "missing_columns" and "身份证号" in str(missing.value)
    with pytest.raises(Invalid) as twice:
        map_header([*keys, "姓名"], str)
    assert twice.value.code == "repeated_columns"


@pytest.mark.parametrize(
    ("key", "raw", "value"),
    [
        ("living_situation", "独居", "alone"),
        ("living_situation", "EMPTY_NEST", "empty_nest"),
        ("special_groups", "独居、失能;孤寡", ["living_alone", "disabled", "no_family"]),
        ("special_groups", "", None),
        ("economic_status", "低保边缘", "near_minimum"),
        ("capability_level", "重度失能", 3),
        ("capability_level", "2级", 2),
        ("capability_level", 1.0, 1),
        ("consent_given", "是", True),
        ("consent_given", "no", False),
        ("consent_date", "2026/3/5", date(2026, 3, 5)),
        ("consent_date", "2026年3月5日", date(2026, 3, 5)),
        ("consent_date", "2026-02-30", None),
        ("consent_date", "2026-03-05", date(2026, 3, 5)),
        ("phone", 13812345678, "13812345678"),
        ("lat", "34.8", 34.8),
        ("name", "'=1+1", "=1+1"),
    ],
)
def test_cells_accept_codes_and_chinese_labels(key: str, raw: object, value: object) -> None:
    parsed, problem = parse_cell(BY_KEY[key], raw)
    if value is None and raw:
        assert problem is not None and problem.field == key
    else:
        assert problem is None and parsed == value


def test_export_values_read_back_as_the_same_codes() -> None:
    for locale in ("zh_CN", "en"):
        for key, value in (
            ("living_situation", "with_relatives"),
            ("special_groups", ["lost_only_child", "left_behind"]),
            ("economic_status", "extreme_poverty"),
            ("consent_given", False),
        ):
            cell = format_value(key, value, locale)
            assert parse_cell(BY_KEY[key], cell) == (value, None)
    assert format_value("name", "=HYPERLINK()", "en", guard=True) == "'=HYPERLINK()"
    assert parse_cell(BY_KEY["name"], "'=HYPERLINK()") == ("=HYPERLINK()", None)


def test_row_problems_name_the_contact_column() -> None:
    keys: list[str | None] = ["id_number", "name", "address", "community_code", "lat", "lon",
                              "living_situation", "contact2_phone"]  # fmt: skip
    data, _, problems = row_to_schema(keys, ["x", "王", "路", "c", 34.8, 113.6, "独居", "139"])
    assert data is None
    assert {(p.field, p.code) for p in problems} == {
        ("contact2_name", "required"),
        ("contact2_relationship", "required"),
    }
    assert column_of("contacts.1.phone") == "contact2_phone" and column_of("lat") == "lat"
