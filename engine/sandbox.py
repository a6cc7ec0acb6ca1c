"""Untrusted expressions: BPMN conditions, scripts and timers run here, never in plain eval.

RestrictedPython rejects at compile time every name and attribute that starts with ``_``
(so ``().__class__.__base__.__subclasses__()`` does not compile), the builtins offered are a
short list without ``open``, ``__import__``, ``getattr`` or ``type``, attribute, item and
iteration access go through guards, and a trace function stops code that runs longer than the
time bound. Domain helpers (``add_workdays``, ``workdays_between``, ``today``) replace what a
designer would otherwise import.
"""

from __future__ import annotations

import ast
import builtins
import re
import sys
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)

from . import clock
from .errors import ExpressionError

MAX_RANGE = 100_000
MAX_ITERATIONS = 1_000_000

ISO_TIMER = re.compile(
    r"^(R\d*/)?(P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?"
    r"|\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?)"
    r"(/(P[\dYMWDTHS.]+|\d{4}-\d{2}-\d{2}\S*))?$")


def is_iso_timer(text: str) -> bool:
    """A bare ISO 8601 duration, date-time or repeating interval, as Camunda Modeler writes timers."""
    return bool(ISO_TIMER.match(text.strip()))


class ExpressionTimeout(Exception):
    pass


def _limited_range(*args):
    r = range(*args)
    if len(r) > MAX_RANGE:
        raise ValueError(f"range() 超过 {MAX_RANGE} 个元素")
    return r


def _guarded_getiter(obj):
    count = 0
    for value in obj:
        count += 1
        if count > MAX_ITERATIONS:
            raise ValueError("循环次数过多")
        yield value


def _getitem(obj, key):
    return obj[key]


_INPLACE = {
    "+=": lambda x, y: x + y, "-=": lambda x, y: x - y, "*=": lambda x, y: x * y,
    "/=": lambda x, y: x / y, "//=": lambda x, y: x // y, "%=": lambda x, y: x % y,
}


def _inplacevar(op, x, y):
    try:
        return _INPLACE[op](x, y)
    except KeyError:
        raise ValueError(f"不支持的运算 {op}") from None


_SAFE_BUILTINS = {
    name: __builtins__[name] if isinstance(__builtins__, dict) else getattr(__builtins__, name)
    for name in ("abs", "all", "any", "bool", "dict", "divmod", "enumerate", "float", "int", "len",
                 "list", "max", "min", "round", "set", "sorted", "str", "sum", "tuple", "zip",
                 "ValueError", "KeyError", "TypeError", "Exception", "isinstance")
}
_SAFE_BUILTINS.update(True_=True, range=_limited_range, None_=None)
_SAFE_BUILTINS.pop("True_"), _SAFE_BUILTINS.pop("None_")

BASE_GLOBALS = {
    "__builtins__": _SAFE_BUILTINS,
    "_getattr_": safer_getattr,
    "_getitem_": _getitem,
    "_getiter_": _guarded_getiter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,
    "_inplacevar_": _inplacevar,
    "date": date, "datetime": datetime, "timedelta": timedelta, "Decimal": Decimal,
}
GUARD_NAMES = frozenset(BASE_GLOBALS)


_FORBIDDEN_BUILTINS = frozenset(n for n in dir(builtins) if not n.startswith("_")) - set(_SAFE_BUILTINS) - {
    "True", "False", "None"}


def _check_names(source: str, mode: str) -> None:
    """Refuse Python builtins the sandbox does not offer (open, eval, getattr, type …) by name,
    at validation time rather than as a NameError in the middle of a case."""
    try:
        tree = ast.parse(source.strip(), mode=mode)
    except SyntaxError as exc:
        raise ExpressionError(f"语法错误（第 {exc.lineno} 行）：{exc.msg}", source=source) from None
    bad = sorted({node.id for node in ast.walk(tree)
                  if isinstance(node, ast.Name) and node.id in _FORBIDDEN_BUILTINS})
    if bad:
        raise ExpressionError("不允许使用：" + "、".join(bad), source=source)


@lru_cache(maxsize=4096)
def compile_expression(source: str):
    _check_names(source, "eval")
    result = compile_restricted_eval(source.strip(), "<expression>")
    if result.errors:
        raise ExpressionError("表达式不被允许或有语法错误：" + "；".join(result.errors), source=source)
    return result.code


@lru_cache(maxsize=1024)
def compile_script(source: str):
    _check_names(source, "exec")
    result = compile_restricted_exec(source, "<script>")
    if result.errors:
        raise ExpressionError("脚本不被允许或有语法错误：" + "；".join(result.errors), source=source)
    return result.code


def _run_bounded(code, scope: dict, timeout: float):
    deadline = time.perf_counter() + timeout

    def tracer(frame, event, arg):
        if time.perf_counter() > deadline:
            raise ExpressionTimeout()
        return tracer

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        return eval(code, scope)  # noqa: S307 - code was compiled by RestrictedPython
    except ExpressionTimeout:
        raise ExpressionError(f"表达式运行超过 {timeout} 秒，已中止。") from None
    finally:
        sys.settrace(previous)


def helpers(calendar=None) -> dict:
    """Domain helpers offered to expressions; the calendar is the engine's working-day calendar."""

    def add_workdays(start, n):
        if calendar is None:
            raise ExpressionError("工作日历不可用。")
        return calendar.add_workdays(start, int(n))

    def workdays_between(start, end):
        if calendar is None:
            raise ExpressionError("工作日历不可用。")
        return calendar.workdays_between(start, end)

    return {"add_workdays": add_workdays, "workdays_between": workdays_between, "today": clock.today}


def evaluate(source: str, data: dict, extra: dict | None = None, timeout: float = 0.5):
    """Evaluate an expression against task data."""
    scope = dict(BASE_GLOBALS)
    scope.update(extra or {})
    scope.update(data)
    return _run_bounded(compile_expression(source), scope, timeout)


def execute(source: str, data: dict, extra: dict | None = None, timeout: float = 0.5) -> None:
    """Run a script; the names it assigns become task data."""
    scope = dict(BASE_GLOBALS)
    scope.update(extra or {})
    reserved = set(scope)
    clash = reserved.intersection(data) - GUARD_NAMES
    if clash:
        raise ExpressionError(f"任务数据与内置函数重名：{', '.join(sorted(clash))}")
    scope.update(data)
    _run_bounded(compile_script(source), scope, timeout)
    for key, value in scope.items():
        if key in reserved and key not in data:
            continue
        if key.startswith("_") or callable(value):
            continue
        data[key] = value
