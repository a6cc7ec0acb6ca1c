"""engine.validation: the Chinese-message fields every edge uses. Each refusal is Chinese and
precise; no library English or half-formatted template ever comes out, whatever is sent."""

from __future__ import annotations

import math
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError, fields, validate

from engine.errors import InvalidInput
from engine.validation import (
    ID_MAX,
    INT_MAX,
    Bool,
    ChineseSchema,
    Choice,
    Code,
    Date,
    Int,
    Num,
    Text,
    errors_in_chinese,
    is_chinese,
    load,
    normalize,
    parse_id,
)


class Sample(ChineseSchema):
    days = Int("天数", min=1, max=3660, required=True)
    share = Num("比例", min=0, max=1, exclusive=True)
    fee = Num("金额", min=0, places=2)
    name = Text("名称", 10)
    note = Text("说明", 50, multiline=True)
    step = Code("环节")
    level = Choice("级别", {"remind": "提醒", "alarm": "报警"})
    day = Date("日期")
    on = Bool("启用")
    count = Int("份数")


def refusal(data) -> dict[str, str]:
    with pytest.raises(ValidationError) as info:
        Sample().load(data)
    return errors_in_chinese(info.value, Sample())


def test_good_values_are_read_with_full_width_digits_and_letters_made_half_width():
    out = Sample().load({"days": "１２", "share": "０．８", "fee": "1,200.50", "name": " ＡＢ\u3000１ ",
                         "note": "第一行\r\n第二行\t完", "step": "legal_review", "level": "alarm", "day": "２０２６-０９-２８",
                         "on": "是", "count": 3.0})
    assert out == {"days": 12, "share": 0.8, "fee": 1200.5, "name": "AB 1", "note": "第一行\n第二行\t完",
                   "step": "legal_review", "level": "alarm", "day": date(2026, 9, 28), "on": True, "count": 3}
    assert normalize("（一）１２３ａＢ，") == "（一）123aB，"  # Chinese punctuation stays


@pytest.mark.parametrize("field, value, message", [
    ("days", "1.5e400", "天数必须是整数。"),
    ("days", [{}], "天数必须是整数。"),
    ("days", True, "天数必须是整数。"),
    ("days", 0, "天数应在 1 到 3660 之间。"),
    ("days", 10**30, "天数应在 1 到 3660 之间。"),
    ("days", float("nan"), "天数必须是整数。"),
    ("share", "1e400", "比例必须是有限的数字。"),
    ("share", float("inf"), "比例必须是有限的数字。"),
    ("share", "NaN", "比例必须是有限的数字。"),
    ("share", "Infinity", "比例必须是有限的数字。"),
    ("share", 1, "比例必须在 0 和 1 之间（不含 0 和 1）。"),
    ("share", {"a": 1}, "比例必须是数字。"),
    ("fee", "1.005", "金额最多保留 2 位小数。"),
    ("fee", -1, "金额不能小于 0。"),
    ("name", "一二三四五六七八九十一", "名称不能超过 10 个字（现有 11 个）。"),
    ("name", "甲\x00", "名称含有不允许的控制字符（U+0000）。"),
    ("name", "甲\n乙", "名称含有不允许的控制字符（U+000A）。"),
    ("name", "\u202e甲", "名称含有不允许的控制字符（U+202E）。"),
    ("name", "\ud800", "名称含有不允许的控制字符（U+D800）。"),
    ("name", 12, "名称必须是文字。"),
    ("note", "\x1b[31m", "说明含有不允许的控制字符（U+001B）。"),
    ("step", "1abc", "环节只能包含英文字母、数字、下划线、点和连字符，并以字母或下划线开头。"),
    ("level", "critical", "请从级别的选项中选择。"),
    ("level", ["alarm"], "请从级别的选项中选择。"),
    ("day", "2026-02-30", "日期格式应为 YYYY-MM-DD（如 2026-09-28），且是存在的日期。"),
    ("on", "maybe", "启用应为“是”或“否”。"),
    ("count", 2**31, f"份数应在 0 到 {INT_MAX} 之间。"),
])
def test_each_refusal_names_the_field_in_chinese(field, value, message):
    errors = refusal({"days": 5, field: value})
    assert errors == {field: message}


def test_missing_unknown_and_non_object_input():
    assert refusal({}) == {"days": "请填写天数。"}
    assert refusal({"days": None}) == {"days": "请填写天数。"}
    assert refusal({"days": 1, "hack": 1}) == {"hack": "不能识别的项目：hack。"}
    assert refusal([1, 2]) == {"_schema": "数据格式不正确，应为一组名称和值。"}


def test_library_english_never_survives():
    class Plain(ChineseSchema):
        amount = fields.Float(metadata={"label": "金额"})
        low = fields.Integer(validate=validate.Range(min=1))

    with pytest.raises(ValidationError) as info:
        Plain().load({"amount": "x", "low": -1})
    assert errors_in_chinese(info.value, Plain()) == {"amount": "金额格式不正确。", "low": "low格式不正确。"}
    assert not is_chinese("应在 0 到 None 之间") and not is_chinese("Not a valid number.") and is_chinese("应在 0 到 9 之间")


def test_load_raises_invalid_input_with_every_field():
    with pytest.raises(InvalidInput) as info:
        load(Sample(), {"days": "x", "share": 2})
    assert info.value.message == "天数必须是整数。" and info.value.details["field"] == "days"
    assert info.value.details["errors"] == {"days": "天数必须是整数。", "share": "比例必须在 0 和 1 之间（不含 0 和 1）。"}


@pytest.mark.parametrize("text, expected", [
    ("12", 12), ("１２", 12), (" 7 ", 7), (str(ID_MAX), ID_MAX), (5, 5),
    ("0", None), ("-1", None), (str(ID_MAX + 1), None), ("1e3", None), ("12a", None), ("", None), (None, None),
    (True, None), ("٣", None), ("9" * 400, None), ("1.0", None),
])
def test_parse_id(text, expected):
    assert parse_id(text) == expected


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["days", "share", "fee", "name", "note", "step", "level", "day", "on", "count",
                                        "other"]),
                       st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30),
                                 st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3),
                                                                                      st.integers(), max_size=2))))
def test_whatever_is_sent_the_answer_is_a_value_or_chinese(data):
    try:
        out = Sample().load(data)
    except ValidationError as exc:
        errors = errors_in_chinese(exc, Sample())
        assert errors and all(is_chinese(m) for m in errors.values()), errors
    else:
        for key in ("share", "fee"):
            assert out.get(key) is None or math.isfinite(out[key])


def test_several_messages_read_as_one_sentence():
    from engine.validation import sentences

    assert sentences(["申请人名称不能为空。", "经营者名称：必填。", "", "联系电话应为 11 位数字"]) == \
        "申请人名称不能为空；经营者名称：必填；联系电话应为 11 位数字。"
    assert sentences([]) == ""
