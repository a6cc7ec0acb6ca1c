"""Expressions are untrusted code."""

from __future__ import annotations

import re
import time
from datetime import date
from decimal import Decimal

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
    with pytest.raises(ExpressionError, match="f-string"):  # refused when compiled, in Chinese
        sandbox.compile_expression("'{0.__class__}'.format(1)")
    with pytest.raises(ExpressionError, match="f-string"):  # and at run time through the attribute guard
        sandbox.evaluate("s.format(1)", {"s": "{0.__class__}"})


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


# --- bounds: what would be huge is refused before it runs -----------------------------------------

@pytest.mark.parametrize("source", [
    "10**10**10 > 0", "'a'*10**10", "[0]*10**9", "(0,)*10**9", "b'a'*10**9", "1 << 10**9", "'a'.ljust(10**9)",
    "'a'.rjust(10**9)", "'a'.center(10**9)", "'1'.zfill(10**9)", "'\\t'.expandtabs(10**9)",
    "'%100000000d' % 1", "('a'*1000).replace('a', 'b'*1000)", "'x'.join(['ab'*50000]*3)",
    "[x for x in range(10**9)] == []", "len(range(0, 10**12, 2)) > 0",
])
def test_constant_blowups_are_refused_when_compiled(source):
    with pytest.raises(ExpressionError, match="运算结果过大"):
        sandbox.compile_expression(source)


@pytest.mark.parametrize("source,data", [
    ("10**n", {"n": 10**10}), ("'a'*n", {"n": 10**10}), ("n*'a'", {"n": 10**10}), ("[0]*n", {"n": 10**9}),
    ("1 << n", {"n": 10**10}), ("s.ljust(n)", {"s": "a", "n": 10**9}), ("s.zfill(n)", {"s": "1", "n": 10**9}),
    ("s.expandtabs(n)", {"s": "\t\t", "n": 10**9}), ("s.replace('', t)", {"s": "a" * 1000, "t": "b" * 1000}),
    ("s.join(items)", {"s": "-", "items": ["a" * 1000] * 1000}), ("f'{1:>{n}}'", {"n": 10**9}),
    ("f'{x:.{n}f}'", {"x": 1.5, "n": 10**9}), ("'%*d' % (n, 1)", {"n": 10**9}), ("int(d)", {"d": Decimal("1e999999")}),
    ("round(d)", {"d": Decimal("1e999999")}), ("sum(rows, [])", {"rows": [[0] * 1000] * 1000}),
    ("len(range(n))", {"n": 10**9}),
])
def test_operands_from_case_data_are_sized_before_the_operation_runs(source, data):
    started = time.perf_counter()
    with pytest.raises(ExpressionError, match="过大"):
        sandbox.evaluate(source, data)
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize("script", [
    "s = 'a'\nfor i in range(40):\n    s = s + s\n", "s = 'a'\nfor i in range(40):\n    s += s\n",
    "l = [0]\nwhile True:\n    l.extend(l)\n", "n = 7\nn **= 10**6\n", "n = 1\nn <<= 10**6\n", "l = [0]\nl *= 10**9\n",
])
def test_doubling_in_a_loop_and_augmented_forms_are_bounded(script):
    data = {}
    started = time.perf_counter()
    with pytest.raises(ExpressionError, match="运算结果过大"):
        sandbox.execute(script, data)
    assert time.perf_counter() - started < 0.5 and data == {}


def test_ordinary_arithmetic_is_untouched():
    data = {"amount": Decimal("1200.50"), "rate": Decimal("0.03"), "days": 5, "name": "张三"}
    assert sandbox.evaluate("amount * rate", data) == Decimal("36.0150")
    assert sandbox.evaluate("2**64 + days * 3 - 1", data) == 2**64 + 14
    assert sandbox.evaluate("f'{name}：{amount:,.2f}元' + '，' * 2", data) == "张三：1,200.50元，，"
    assert sandbox.evaluate("'%s 共 %d 天' % (name, days)", data) == "张三 共 5 天"
    assert sandbox.evaluate("'-'.join(['a', 'b']).ljust(5, '.').replace('-', '+')", data) == "a+b.."
    assert sandbox.evaluate("sum([1, 2, 3]) + int('7') + round(Decimal('2.5'))", data) == 15
    assert sandbox.evaluate("[0] * 3 + [1]", data) == [0, 0, 0, 1]


# --- what a script may leave in the case -------------------------------------------------------

@pytest.mark.parametrize("script,expected", [
    ("big = 'a' * 100000", "过大"),
    ("a = 'x' * 60000\nb = 'y' * 60000\nc = 'z' * 90000", "超过 200,000 个字符"),
    ("rows = [[0] * 1000] * 1000", "过大"),
    ("tags = {1, 2}", "集合"),
    ("x = float('nan')", "有限数字"),
    ("d = {1: 'a'}", "键必须是文字"),
    ("n = 2**5000", "运算结果过大"),
    ("x = []\nfor i in range(30):\n    x = [x]\n", "嵌套超过"),
])
def test_a_script_cannot_leave_what_the_case_cannot_keep(script, expected):
    data = {"kept": 1}
    with pytest.raises(ExpressionError, match=expected):
        sandbox.execute(script, data)
    assert data == {"kept": 1}


def test_a_list_grown_in_place_is_measured_too():
    data = {"notes": []}
    with pytest.raises(ExpressionError, match="过大"):
        sandbox.execute("for i in range(30000):\n    notes.append('备注很长很长')\n", data)


# --- every message is Chinese --------------------------------------------------------------------

@pytest.mark.parametrize("source,expected", [
    ("x.__class__", "属性“__class__”以下划线开头，出于安全原因不允许访问"),
    ("_secret + 1", "名称“_secret”以下划线开头"),
    ("approved ==", "语法错误（第 1 行）：语法无效"),
    ("(1, 2", "括号“(”没有闭合"),
    ("金额 > １００", "含有无效字符“１”（U+FF11），可能是全角符号"),
    ("'abc", "字符串缺少结束引号"),
    ("a\x07 > 1", "含有控制字符（U+0007）"),
    ("open('/etc/passwd')", "不允许使用：open"),
    ("1/0 > 1", "除数为零"),
])
def test_refusals_are_chinese_with_no_library_english(source, expected):
    with pytest.raises(ExpressionError) as refused:
        sandbox.compile_expression(source)
    assert expected in refused.value.message
    assert not re.search(r"[A-Za-z]{4,}", re.sub(r"“[^”]*”|（[^）]*）|open|__\w+__|_secret", "", refused.value.message))


@pytest.mark.parametrize("script,expected", [
    ("import os", "不允许导入模块"), ("async def f():\n    pass\n", "第 1 行：不允许使用异步函数（async def）"),
    ("a = [1]\na[0] += 1\n", "不允许对元素或切片使用增量赋值"), ("a.b += 1", "不允许对属性使用增量赋值"),
])
def test_restrictedpython_refusals_are_translated(script, expected):
    with pytest.raises(ExpressionError) as refused:
        sandbox.compile_script(script)
    assert expected in refused.value.message and "not allowed" not in refused.value.message


@pytest.mark.parametrize("source,data,expected", [
    ("x + 1", {}, "未定义的变量 x"), ("a / b", {"a": 1, "b": 0}, "除数为零"),
    ("a + 'b'", {"a": 1}, "运算“+”不能用于整数和文字"), ("d['k']", {"d": {}}, "数据中没有键 'k'"),
    ("l[5]", {"l": []}, "下标超出范围"), ("int('abc')", {}, "无法把 'abc' 转换为整数"),
    ("n.real.foo", {"n": 1}, "整数没有属性“foo”"), ("max([])", {}, "max() 的参数不能是空序列"),
    ("str(10**4000 * 1)", {}, "运算结果过大"),
])
def test_runtime_failures_are_explained_in_chinese(source, data, expected):
    with pytest.raises(ExpressionError) as failed:
        sandbox.evaluate(source, data)
    assert expected in failed.value.message, failed.value.message


def test_a_timeout_is_reported_in_chinese():
    with pytest.raises(ExpressionError, match="运行超过 0.2 秒，已中止") as failed:
        sandbox.execute("n = 0\nwhile True:\n    n = n + 1\n", {}, timeout=0.2)
    assert failed.value.code == "expression_timeout"
