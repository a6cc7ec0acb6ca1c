"""Statistics rollups (rules/rollups.py keeps them): what the performance reports count, summed per
month, so a year's report adds up a few thousand rows instead of reading a year of cases and steps."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class StatCaseMonth(Base):
    """The citizens' cases received in a month (local time), by department, item and origin (外部 or
    own): how many, how many still open, and what the finished ones came to. 超期 here counts the
    finished ones only; an open case's lateness depends on today and is read from the case table."""

    __tablename__ = "stat_case_month"
    month: Mapped[date] = mapped_column(Date, primary_key=True)  # the month's first day
    department_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    item_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    external: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    cases: Mapped[int] = mapped_column(Integer, default=0)
    open: Mapped[int] = mapped_column(Integer, default=0)
    finished: Mapped[int] = mapped_column(Integer, default=0)
    on_time: Mapped[int] = mapped_column(Integer, default=0)
    early: Mapped[int] = mapped_column(Integer, default=0)
    overdue: Mapped[int] = mapped_column(Integer, default=0)
    returned: Mapped[int] = mapped_column(Integer, default=0)  # cases with a 退回 at any time
    decided: Mapped[int] = mapped_column(Integer, default=0)
    denied: Mapped[int] = mapped_column(Integer, default=0)
    days_total: Mapped[int] = mapped_column(Integer, default=0)  # working days from acceptance to finish
    days_count: Mapped[int] = mapped_column(Integer, default=0)


class StatStepMonth(Base):
    """The steps of citizens' cases completed (or returned) in a month (local time), by item and step,
    department and post, and origin."""

    __tablename__ = "stat_step_month"
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    item_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    step_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    department_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    post_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    external: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    step_name: Mapped[str] = mapped_column(String(200), primary_key=True)  # a renamed step: a row per name
    tasks: Mapped[int] = mapped_column(Integer, default=0)
    returned: Mapped[int] = mapped_column(Integer, default=0)
    on_time: Mapped[int] = mapped_column(Integer, default=0)
    early: Mapped[int] = mapped_column(Integer, default=0)
    overdue: Mapped[int] = mapped_column(Integer, default=0)
    decided: Mapped[int] = mapped_column(Integer, default=0)
    denied: Mapped[int] = mapped_column(Integer, default=0)
    days_total: Mapped[int] = mapped_column(Integer, default=0)  # working days from the step's start to its end
