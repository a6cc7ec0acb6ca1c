"""Expressions are untrusted code."""

from __future__ import annotations

from datetime import date

import pytest

from engine import sandbox
from engine.errors import ExpressionError


@pytest.mark.parametrize("source", [
    "().__class__.__base__.__subclasses__()", "__import__('os').system('id')", "open('/etc/passwd').read()",
    "getattr(1, 'real')", "type(1)", "eval('1')", "[].__class__", "globals()",
])
def test_escapes_do_not_compile(source):
    with pytest.raises(ExpressionError):
        sandbox.compile_expression(source)


def test_format_string_escape_is_blocked():
    with pytest.raises(NotImplementedError):  # RestrictedPython's guard refuses str.format
        sandbox.evaluate("'{0.__class__}'.format(1)", {})


def test_conditions_read_task_data():
    assert sandbox.evaluate("approved == True and amount <= 300000", {"approved": True, "amount": 10}) is True


def test_scripts_write_task_data_and_loops_are_bounded():
    data = {"n": 2}
    sandbox.execute("total = 0\nfor i in range(n):\n    total += i\n", data)
    assert data["total"] == 1
    with pytest.raises(ExpressionError, match="中止"):
        sandbox.execute("while True:\n    pass\n", {}, timeout=0.2)


def test_helpers_use_the_working_day_calendar():
    class Cal:
        def add_workdays(self, start, n):
            return date(2026, 10, 30)

        def workdays_between(self, a, b):
            return 20

    helpers = sandbox.helpers(Cal())
    assert sandbox.evaluate("add_workdays(today(), 20)", {}, helpers) == date(2026, 10, 30)


@pytest.mark.parametrize("text,ok", [("PT2S", True), ("P3D", True), ("R3/PT10M", True), ("2026-10-01T09:00:00", True),
                                     ("P", False), ("x + 1", False)])
def test_bare_iso_timers_are_recognised(text, ok):
    assert sandbox.is_iso_timer(text) is ok
