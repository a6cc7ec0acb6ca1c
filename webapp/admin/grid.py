"""A year as twelve month grids (weeks from Monday), each day with its status in one calendar and,
for a preview, in another one beside it."""

from __future__ import annotations

import calendar as stdcal
from dataclasses import dataclass
from datetime import date

from engine.calendar import WorkCalendar


@dataclass
class Cell:
    day: date
    work: bool
    name: str | None
    before_work: bool | None = None  # in the calendar compared with (None: no comparison)
    before_name: str | None = None

    @property
    def differs(self) -> bool:
        return self.before_work is not None and self.before_work != self.work


def months(year: int, calendar: WorkCalendar, before: WorkCalendar | None = None) -> list[tuple[int, list[list]]]:
    """[(month, weeks)], each week seven cells (None outside the month)."""
    result = []
    for month, weeks in enumerate(stdcal.Calendar(firstweekday=0).monthdatescalendar(year, m) for m in range(1, 13)):
        rows = []
        for week in weeks:
            row = []
            for day in week:
                if day.month != month + 1:
                    row.append(None)
                    continue
                cell = Cell(day, calendar.is_workday(day), calendar.day_name(day))
                if before is not None:
                    cell.before_work, cell.before_name = before.is_workday(day), before.day_name(day)
                row.append(cell)
            rows.append(row)
        result.append((month + 1, rows))
    return result
