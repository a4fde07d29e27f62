"""Spreadsheet columns of the elder import/export and the conversion of their cells (pure)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from yiyang.errors import N_, FieldProblem
from yiyang.kit.sheets import FORMULA_START, cell_value
from yiyang.registry.vocab import (
    LABELS,
    EconomicStatus,
    LivingSituation,
    Mobility,
    SpecialGroup,
)

MAX_CONTACTS = 3


@dataclass(frozen=True)
class Column:
    """One spreadsheet column: its key (English header), Chinese header and value kind."""

    key: str
    zh: str
    kind: str  # text, number, int, bool, date, living, groups, economic, capability, mobility
    required: bool = False


_BASE = [
    Column("id_number", "身份证号", "text", True),
    Column("name", "姓名", "text", True),
    Column("phone", "电话", "text"),
    Column("household_registration", "户籍", "text"),
    Column("address", "地址", "text", True),
    Column("community_code", "社区编码", "text", True),
    Column("lat", "纬度", "number", True),
    Column("lon", "经度", "number", True),
    Column("geofence_m", "围栏半径米", "int"),
    Column("living_situation", "居住状况", "living", True),
    Column("special_groups", "特殊群体", "groups"),
    Column("economic_status", "经济状况", "economic"),
    Column("capability_level", "能力等级", "capability"),
    Column("consent_given", "知情同意", "bool"),
    Column("consent_date", "同意日期", "date"),
    Column("notes", "备注", "text"),
    Column("mobility", "行动能力", "mobility"),
    Column("conditions", "健康状况", "text"),
]
_CONTACT_PARTS = (
    ("name", "姓名", "text"),
    ("relationship", "关系", "text"),
    ("phone", "电话", "text"),
    ("has_key", "有钥匙", "bool"),
)
COLUMNS: tuple[Column, ...] = tuple(
    _BASE
    + [
        Column(f"contact{n}_{part}", f"联系人{n}{zh}", kind)
        for n in range(1, MAX_CONTACTS + 1)
        for part, zh, kind in _CONTACT_PARTS
    ]
)
BY_KEY: dict[str, Column] = {c.key: c for c in COLUMNS}
REQUIRED = tuple(c.key for c in COLUMNS if c.required)
# Free text a spreadsheet program could run as a formula; exports prefix it with an apostrophe.
FREE_TEXT = frozenset(
    {"name", "household_registration", "address", "notes", "conditions"}
    | {f"contact{n}_{p}" for n in range(1, MAX_CONTACTS + 1) for p in ("name", "relationship")}
)


def _norm_header(text: str) -> str:
    """Headers match ignoring case, spaces, underscores, a required-mark star and a BOM."""
    return re.sub(r"[\s_*＊\ufeff]", "", text).lower()


_HEADER_INDEX: dict[str, str] = {}
for _col in COLUMNS:
    _HEADER_INDEX[_norm_header(_col.key)] = _col.key
    _HEADER_INDEX[_norm_header(_col.zh)] = _col.key


def header_key(text: str) -> str | None:
    """The column key a header names (Chinese or English), or None when unknown."""
    return _HEADER_INDEX.get(_norm_header(text))


def header_text(key: str, locale: str) -> str:
    """The header of a column in a locale: Chinese for zh_CN, the English key otherwise."""
    return BY_KEY[key].zh if locale == "zh_CN" else key


# Chinese labels of the vocabularies; exports in zh_CN write these, imports read them.
LIVING_ZH: dict[str, str] = {
    LivingSituation.ALONE: "独居",
    LivingSituation.EMPTY_NEST: "空巢",
    LivingSituation.WITH_SPOUSE: "与配偶同住",
    LivingSituation.WITH_CHILDREN: "与子女同住",
    LivingSituation.WITH_RELATIVES: "与其他亲属同住",
    LivingSituation.IN_INSTITUTION: "入住机构",
}
GROUP_ZH: dict[str, str] = {
    SpecialGroup.NO_FAMILY: "孤寡",
    SpecialGroup.LIVING_ALONE: "独居",
    SpecialGroup.EMPTY_NEST: "空巢",
    SpecialGroup.LEFT_BEHIND: "留守",
    SpecialGroup.DISABLED: "失能",
    SpecialGroup.SEVERE_DISABILITY: "重残",
    SpecialGroup.LOST_ONLY_CHILD: "计划生育特殊家庭",
}
ECONOMIC_ZH: dict[str, str] = {
    EconomicStatus.NONE: "无",
    EconomicStatus.EXTREME_POVERTY: "特困",
    EconomicStatus.MINIMUM_LIVING: "低保",
    EconomicStatus.NEAR_MINIMUM: "低保边缘",
    EconomicStatus.LOW_INCOME: "低收入",
}
MOBILITY_ZH: dict[str, str] = {
    Mobility.INDEPENDENT: "行动自如",
    Mobility.WALKING_AID: "借助拐杖或助行器",
    Mobility.WHEELCHAIR: "轮椅",
    Mobility.BEDRIDDEN: "卧床",
}
_SYNONYMS: dict[str, dict[str, str]] = {
    "living": {
        "与配偶居住": "with_spouse",
        "与老伴同住": "with_spouse",
        "与子女居住": "with_children",
        "与亲属同住": "with_relatives",
        "机构": "in_institution",
        "机构养老": "in_institution",
    },
    "groups": {
        "计生特殊": "lost_only_child",
        "计生特殊家庭": "lost_only_child",
        "失独": "lost_only_child",
    },
    "economic": {"一般": "none", "普通": "none", "否": "none", "特困供养": "extreme_poverty"},
    "mobility": {
        "自理": "independent",
        "能自己走": "independent",
        "拐杖": "walking_aid",
        "助行器": "walking_aid",
        "坐轮椅": "wheelchair",
        "卧床不起": "bedridden",
        "长期卧床": "bedridden",
    },
}
_CAPABILITY_ZH = {"能力完好": 0, "轻度失能": 1, "中度失能": 2, "重度失能": 3, "完全失能": 4}
_TRUE = {"是", "有", "y", "yes", "true", "1", "√", "✓", "同意", "已签"}
_FALSE = {"否", "无", "没有", "n", "no", "false", "0", "×", "不同意", "未签"}


def _vocab_index(codes: Mapping[str, str], kind: str) -> dict[str, str]:
    index: dict[str, str] = {}
    for code, zh in codes.items():
        index[str(code).lower()] = str(code)
        index[zh.lower()] = str(code)
        if code in LABELS:
            index[LABELS[code].lower()] = str(code)
    index.update(_SYNONYMS.get(kind, {}))
    return index


_VOCABS: dict[str, dict[str, str]] = {
    "living": _vocab_index(LIVING_ZH, "living"),
    "groups": _vocab_index(GROUP_ZH, "groups"),
    "economic": _vocab_index(ECONOMIC_ZH, "economic"),
    "mobility": _vocab_index(MOBILITY_ZH, "mobility"),
}
_ZH_LABELS = {
    "living": LIVING_ZH, "groups": GROUP_ZH, "economic": ECONOMIC_ZH, "mobility": MOBILITY_ZH,
}  # fmt: skip
MOBILITY_CHOICES = "、".join(f"{zh} ({code})" for code, zh in MOBILITY_ZH.items())
_GROUP_SPLIT = re.compile(r"[;；、,，|/]")
_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")


def cell_text(value: Any) -> str:
    """A cell as text: whole numbers without '.0', dates in ISO form, None as ''."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _problem(key: str, code: str, message: str, **params: Any) -> FieldProblem:
    return FieldProblem(key, code, message, params)


def parse_cell(column: Column, raw: Any) -> tuple[Any, FieldProblem | None]:
    """Convert one cell to the value the elder schema expects, or say what is wrong."""
    text = raw if isinstance(raw, str) else cell_text(raw)
    text = text.strip()
    if column.key in FREE_TEXT and len(text) > 1 and text[0] == "'" and text[1] in FORMULA_START:
        text = text[1:]  # undo the formula guard our exports add
    if text == "":
        return None, None
    kind = column.kind
    if kind == "text":
        return text, None
    if kind == "number":
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            number = float(raw)
        else:
            try:
                number = float(text)
            except ValueError:
                number = math.nan
        if not math.isfinite(number):
            return None, _problem(column.key, "number", N_("Not a number: %(value)s."), value=text)
        return number, None
    if kind in ("int", "capability"):
        if kind == "capability" and text in _CAPABILITY_ZH:
            return _CAPABILITY_ZH[text], None
        digits = text.removesuffix("级").removesuffix(".0")
        if re.fullmatch(r"-?\d+", digits):
            return int(digits), None
        return None, _problem(
            column.key, "integer", N_("Not a whole number: %(value)s."), value=text
        )
    if kind == "bool":
        low = text.lower()
        if low in _TRUE:
            return True, None
        if low in _FALSE:
            return False, None
        return None, _problem(
            column.key, "boolean", N_("Write yes or no (是 or 否), not %(value)s."), value=text
        )
    if kind == "date":
        found = _DATE.fullmatch(text.split(" ")[0])
        try:
            if found is None:
                raise ValueError(text)
            return date(*(int(g) for g in found.groups())), None
        except ValueError:
            return None, _problem(
                column.key, "date", N_("Not a date (YYYY-MM-DD): %(value)s."), value=text
            )
    if kind == "groups":
        codes: list[str] = []
        for part in _GROUP_SPLIT.split(text):
            part = part.strip()
            if not part:
                continue
            code = _VOCABS["groups"].get(part.lower())
            if code is None:
                return None, _problem(
                    column.key, "vocabulary", N_("Unknown value: %(value)s."), value=part
                )
            codes.append(code)
        return list(dict.fromkeys(codes)), None
    code = _VOCABS[kind].get(text.lower())
    if code is None and kind == "mobility":
        return None, _problem(
            column.key,
            "vocabulary",
            N_("Unknown mobility: %(value)s. Write one of: %(choices)s."),
            value=text,
            choices=MOBILITY_CHOICES,
        )
    if code is None:
        return None, _problem(column.key, "vocabulary", N_("Unknown value: %(value)s."), value=text)
    return code, None


def format_value(key: str, value: Any, locale: str, guard: bool = False) -> Any:
    """A stored value as an export cell: Chinese labels and 是/否 in zh_CN, codes otherwise.

    `guard` prefixes free text that a spreadsheet would run as a formula (CSV exports).
    """
    kind = BY_KEY[key].kind
    if value is None:
        return None
    if kind in _ZH_LABELS:
        labels = _ZH_LABELS[kind]
        if kind == "groups":
            items = [labels.get(v, v) if locale == "zh_CN" else v for v in value]
            return ("、" if locale == "zh_CN" else ";").join(items) or None
        return labels.get(value, value) if locale == "zh_CN" else value
    if kind == "bool":
        if locale == "zh_CN":
            return "是" if value else "否"
        return "yes" if value else "no"
    if kind == "date":
        return value.isoformat()
    return cell_value(value, guard=guard and key in FREE_TEXT)
