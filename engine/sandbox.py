"""Untrusted expressions: BPMN conditions, scripts and timers run here, never in plain eval.

RestrictedPython rejects at compile time every name and attribute that starts with ``_``
(so ``().__class__.__base__.__subclasses__()`` does not compile), the builtins offered are a
short list without ``open``, ``__import__``, ``getattr`` or ``type``, attribute, item and
iteration access go through guards, and a trace function stops code that runs longer than the
time bound. Domain helpers (``add_workdays``, ``workdays_between``, ``today``) replace what a
designer would otherwise import.

The trace function cannot interrupt one C-level operation (``10**10**10`` or ``'a'*10**10``
runs for minutes inside one bytecode), so every operation that can build a huge object in one
step is sized *before* it runs: ``**``, ``*``, ``<<``, ``+`` and ``%`` (and their ``op=``
forms) are rewritten into guard calls, the str/bytes methods that pad or repeat are wrapped,
``int()``/``round()`` refuse huge Decimals, f-string widths are bounded and ``range`` is
limited. When the operands are constants the same guards run at compile time, so the
validator and the designer's server check refuse ``10**10**10`` before it is ever deployed.

Bounds (no government form comes near them):

- an integer result: :data:`MAX_INT_BITS` bits (about 1 233 decimal digits);
- a str, bytes, list or tuple result, a range, a padding or format width: :data:`MAX_SEQUENCE`
  elements or characters;
- a value a script writes into the case: :data:`MAX_VALUE_CHARS` characters once serialized,
  :data:`MAX_WRITE_CHARS` for everything one script writes, nested at most :data:`MAX_DEPTH` deep;
- expression text: :data:`MAX_SOURCE` characters.

Every failure leaves here as an :class:`ExpressionError` with a Chinese message; the English
text of Python, RestrictedPython or the decimal module never reaches a person.
"""

from __future__ import annotations

import ast
import builtins
import math
import operator
import re
import sys
import time
import unicodedata
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache

from RestrictedPython import RestrictingNodeTransformer, compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
    safer_getattr_raise,
)

from . import clock
from .errors import ExpressionError
from .sandbox_messages import explain, located, translate_policy_message, translate_syntax_error, type_name

MAX_INT_BITS = 4096
MAX_SEQUENCE = 100_000
MAX_RANGE = MAX_SEQUENCE
MAX_ITERATIONS = 1_000_000
MAX_VALUE_CHARS = 100_000
MAX_WRITE_CHARS = 200_000
MAX_DEPTH = 20
MAX_SOURCE = 20_000
_MAX_INT_DIGITS = int(MAX_INT_BITS * math.log10(2)) + 1

ISO_TIMER = re.compile(
    r"^(R\d*/)?(P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?"
    r"|\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?)"
    r"(/(P[\dYMWDTHS.]+|\d{4}-\d{2}-\d{2}\S*))?$")


def is_iso_timer(text: str) -> bool:
    """A bare ISO 8601 duration, date-time or repeating interval, as Camunda Modeler writes timers."""
    return bool(ISO_TIMER.match(text.strip()))


class ExpressionTimeout(Exception):
    pass


# --- size guards: refuse a result before building it --------------------------------------------

_SEQUENCES = (str, bytes, list, tuple)


def _too_large(what: str, size: int, limit: int) -> ExpressionError:
    return ExpressionError(f"运算结果过大：{what}将达到约 {size:,}，超过上限 {limit:,}，已拒绝运行。",
                           code="expression_too_large")


def _check_int_bits(bits: int) -> None:
    if bits > MAX_INT_BITS:
        raise _too_large("整数的二进制位数", bits, MAX_INT_BITS)


def _check_length(length: int) -> None:
    if length > MAX_SEQUENCE:
        raise _too_large("文字或列表的长度", length, MAX_SEQUENCE)


def _is_int(value) -> bool:
    return isinstance(value, int)  # bool is an int too: True * 'a' is 'a'


def guarded_pow(base, exponent):
    if _is_int(base) and _is_int(exponent) and exponent > 0 and abs(base) > 1:
        _check_int_bits((abs(base).bit_length() - 1) * exponent + 1)
    return base ** exponent


def guarded_mul(left, right):
    if _is_int(left) and _is_int(right):
        _check_int_bits(abs(left).bit_length() + abs(right).bit_length() - 1)
    elif isinstance(left, _SEQUENCES) and _is_int(right):
        _check_length(len(left) * max(right, 0))
    elif isinstance(right, _SEQUENCES) and _is_int(left):
        _check_length(len(right) * max(left, 0))
    return left * right


def guarded_lshift(left, right):
    if _is_int(left) and _is_int(right) and left and right > 0:
        _check_int_bits(abs(left).bit_length() + right)
    return left << right


def guarded_add(left, right):
    """Doubling a string or list in a loop reaches gigabytes in 30 steps: sized like ``*``."""
    if isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
        _check_length(len(left) + len(right))
    return left + right


_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?([a-zA-Z%])")
_INT_CODES = set("diouxXc")


def _check_decimal_to_int(value) -> None:
    """``int(Decimal('1e999999'))`` builds a million-digit integer in one C call."""
    if isinstance(value, Decimal) and value.is_finite() and value.adjusted() >= _MAX_INT_DIGITS:
        raise _too_large("整数的十进制位数", value.adjusted() + 1, _MAX_INT_DIGITS)


def guarded_mod(left, right):
    """``'%100000000d' % 1`` pads in C: widths and precisions are bounded like sequences."""
    if isinstance(left, (str, bytes)):
        text = left.decode("latin-1") if isinstance(left, bytes) else left
        args = right if isinstance(right, tuple) else (right,)
        for width, precision, code in _PERCENT_SPEC.findall(text):
            for part in (width, precision):
                if part.isdigit():
                    _check_length(int(part))
                elif part == "*":
                    for arg in args:
                        if _is_int(arg):
                            _check_length(abs(arg))
            if code in _INT_CODES:
                for arg in (right.values() if isinstance(right, dict) else args):
                    _check_decimal_to_int(arg)
    return left % right


_FORMAT_SPEC = re.compile(r"^(?:.?[<>=^])?[-+ ]?z?#?0?(\d*)[,_]?(?:\.(\d+))?[a-zA-Z%]?$", re.DOTALL)


def guarded_format(value, conversion: int, spec: str):
    """An f-string field ``{x:>{n}}``: the width and precision are bounded before formatting."""
    if conversion == ord("r"):
        value = repr(value)
    elif conversion == ord("a"):
        value = ascii(value)
    elif conversion == ord("s"):
        value = str(value)
    match = _FORMAT_SPEC.match(spec)
    if match:
        for part in match.groups():
            if part:
                _check_length(int(part))
    elif any(len(d) > 5 for d in re.findall(r"\d+", spec)):
        _check_length(MAX_SEQUENCE + 1)
    return format(value, spec)


def _pad(name):
    def method(text, width, *args):
        if _is_int(width):
            _check_length(width)
        return getattr(text, name)(width, *args)
    return method


def _expandtabs(text, tabsize=8):
    if _is_int(tabsize):
        _check_length(len(text) + text.count("\t" if isinstance(text, str) else b"\t") * max(tabsize, 0))
    return text.expandtabs(tabsize)


def _join(sep, items):
    if not isinstance(items, (list, tuple)):
        items = list(_guarded_getiter(items))
    try:
        pieces = sum(map(len, items))  # in C: a Python loop here would cost more than the join
    except TypeError:
        pieces = 0  # not all text: join itself refuses it
    _check_length(pieces + len(sep) * max(len(items) - 1, 0))
    return sep.join(items)


def _replace(text, old, new, count=-1):
    if isinstance(old, (str, bytes)) and isinstance(new, (str, bytes)) and len(new) > len(old):
        hits = text.count(old) if old else len(text) + 1
        if _is_int(count) and count >= 0:
            hits = min(hits, count)
        _check_length(len(text) + hits * (len(new) - len(old)))
    return text.replace(old, new, count)


_TEXT_METHODS = {"ljust": _pad("ljust"), "rjust": _pad("rjust"), "center": _pad("center"),
                 "zfill": _pad("zfill"), "expandtabs": _expandtabs, "join": _join, "replace": _replace}


def _extend(target):
    def extend(items):
        if hasattr(items, "__len__"):
            _check_length(len(target) + len(items))
        target.extend(items)
    return extend


def _getattr(obj, name, *default):
    """RestrictedPython's safer_getattr, plus size guards on the methods that pad or repeat. A
    missing attribute is an error, not a silent None (safer_getattr's default)."""
    if isinstance(obj, (str, bytes)) and name in _TEXT_METHODS:
        method = _TEXT_METHODS[name]
        return lambda *args: method(obj, *args)
    if isinstance(obj, list) and name == "extend":
        return _extend(obj)
    try:
        return safer_getattr(obj, name, *default) if default else safer_getattr_raise(obj, name)
    except NotImplementedError:
        raise ExpressionError(f"不能使用 .{name}()，请改用 f-string，例如 f\"{{金额}}元\"。") from None


def _limited_range(*args):
    r = range(*args)
    if len(r) > MAX_RANGE:
        raise _too_large("range() 的元素个数", len(r), MAX_RANGE)
    return r


def _guarded_getiter(obj):
    count = 0
    for value in obj:
        count += 1
        if count > MAX_ITERATIONS:
            raise ExpressionError(f"循环次数超过 {MAX_ITERATIONS:,} 次，已中止。")
        yield value


def _getitem(obj, key):
    return obj[key]


def _int(*args, **kwargs):
    if args:
        _check_decimal_to_int(args[0])
    return int(*args, **kwargs)


def _round(number, *args):
    if not args:
        _check_decimal_to_int(number)
    return round(number, *args)


def _sum(iterable, start=0):
    """``sum(lists, [])`` concatenates in C; summed one guarded ``+`` at a time instead."""
    total = start
    for value in _guarded_getiter(iterable):
        total = guarded_add(total, value)
    return total


_INPLACE = {
    "+=": guarded_add, "-=": operator.sub, "*=": guarded_mul, "/=": operator.truediv,
    "//=": operator.floordiv, "%=": guarded_mod, "**=": guarded_pow, "<<=": guarded_lshift,
    ">>=": operator.rshift, "|=": operator.or_, "&=": operator.and_, "^=": operator.xor,
}


def _inplacevar(op, x, y):
    try:
        function = _INPLACE[op]
    except KeyError:
        raise ExpressionError(f"不支持的运算 {op}") from None
    return function(x, y)


_SAFE_BUILTINS = {name: getattr(builtins, name) for name in (
    "abs", "all", "any", "bool", "dict", "divmod", "enumerate", "float", "len", "list", "max", "min",
    "set", "sorted", "str", "tuple", "zip", "ValueError", "KeyError", "TypeError", "Exception", "isinstance")}
_SAFE_BUILTINS.update(range=_limited_range, int=_int, round=_round, sum=_sum)

BASE_GLOBALS = {
    "__builtins__": _SAFE_BUILTINS,
    "_getattr_": _getattr,
    "_getitem_": _getitem,
    "_getiter_": _guarded_getiter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,
    "_inplacevar_": _inplacevar,
    "_pow_": guarded_pow, "_mul_": guarded_mul, "_lshift_": guarded_lshift, "_add_": guarded_add,
    "_mod_": guarded_mod, "_format_": guarded_format,
    "date": date, "datetime": datetime, "timedelta": timedelta, "Decimal": Decimal,
}
GUARD_NAMES = frozenset(BASE_GLOBALS)

_FORBIDDEN_BUILTINS = frozenset(n for n in dir(builtins) if not n.startswith("_")) - set(_SAFE_BUILTINS) - {
    "True", "False", "None"}


# --- compile time: the rewriting policy and constant folding ------------------------------------

_GUARDED_OPS = {ast.Pow: "_pow_", ast.Mult: "_mul_", ast.LShift: "_lshift_", ast.Add: "_add_", ast.Mod: "_mod_"}
_FOLD_OPS = {ast.Pow: guarded_pow, ast.Mult: guarded_mul, ast.LShift: guarded_lshift, ast.Add: guarded_add,
             ast.Mod: guarded_mod, ast.Sub: operator.sub, ast.Div: operator.truediv,
             ast.FloorDiv: operator.floordiv, ast.RShift: operator.rshift, ast.BitOr: operator.or_,
             ast.BitAnd: operator.and_, ast.BitXor: operator.xor}
_FOLD_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_, ast.Invert: operator.invert}


class _NotConstant(Exception):
    pass


def _guard_call(name: str, args: list, like: ast.AST) -> ast.Call:
    call = ast.Call(func=ast.copy_location(ast.Name(name, ast.Load()), like), args=args, keywords=[])
    return ast.fix_missing_locations(ast.copy_location(call, like))


class SizeBoundedPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy with Chinese messages, guarded size-sensitive operators and
    compile-time evaluation of constant operands (so ``10**10**10`` never deploys)."""

    def __init__(self, errors=None, warnings=None, used_names=None):
        super().__init__(errors, warnings, used_names)
        self._folded: dict[int, object] = {}

    def error(self, node, info: str) -> None:
        self.errors.append(located(translate_policy_message(info), getattr(node, "lineno", None)))

    def _fold(self, node):
        key = id(node)
        if key in self._folded:
            value = self._folded[key]
            if value is _NotConstant:
                raise _NotConstant
            return value
        try:
            value = self._fold_uncached(node)
        except _NotConstant:
            self._folded[key] = _NotConstant
            raise
        self._folded[key] = value
        return value

    def _fold_uncached(self, node):
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, (ast.Tuple, ast.List)) and isinstance(node.ctx, ast.Load):
            items = [self._fold(e) for e in node.elts]
            return tuple(items) if isinstance(node, ast.Tuple) else items
        if isinstance(node, ast.UnaryOp) and type(node.op) in _FOLD_UNARY:
            return _FOLD_UNARY[type(node.op)](self._fold(node.operand))
        if isinstance(node, ast.BinOp) and type(node.op) in _FOLD_OPS:
            return _FOLD_OPS[type(node.op)](self._fold(node.left), self._fold(node.right))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range" \
                and not node.keywords:
            return _limited_range(*[self._fold(a) for a in node.args])
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and not node.keywords
                and node.func.attr in _TEXT_METHODS):
            target = self._fold(node.func.value)
            if isinstance(target, (str, bytes)):
                return _TEXT_METHODS[node.func.attr](target, *[self._fold(a) for a in node.args])
        raise _NotConstant

    def _refuse_constant_failure(self, node) -> None:
        """Evaluate a constant expression through the guards; report what would fail at run time."""
        if id(node) in self._folded:
            return
        try:
            self._fold(node)
        except _NotConstant:
            return
        except Exception as exc:  # the constant expression always fails: say so now
            self.error(node, "\0" + explain(exc))
            for inner in ast.walk(node):
                self._folded.setdefault(id(inner), None)

    def visit_BinOp(self, node):
        self._refuse_constant_failure(node)
        node = self.node_contents_visit(node)
        guard = _GUARDED_OPS.get(type(node.op))
        if guard is None:
            return node
        return _guard_call(guard, [node.left, node.right], node)

    def visit_Call(self, node):
        if (isinstance(node.func, ast.Attribute) and node.func.attr in _TEXT_METHODS
                or isinstance(node.func, ast.Name) and node.func.id == "range"):
            self._refuse_constant_failure(node)
        return super().visit_Call(node)

    def visit_FormattedValue(self, node):
        node = self.node_contents_visit(node)
        if node.format_spec is None:
            return node
        call = _guard_call("_format_", [node.value, ast.Constant(node.conversion), node.format_spec], node)
        return ast.fix_missing_locations(
            ast.copy_location(ast.FormattedValue(value=call, conversion=-1, format_spec=None), node))


# --- compiling ---------------------------------------------------------------------------------

def _check_text(source: str) -> None:
    if len(source) > MAX_SOURCE:
        raise ExpressionError(f"表达式或脚本长 {len(source):,} 个字符，超过上限 {MAX_SOURCE:,}。", source=source)
    bad = sorted({c for c in source if unicodedata.category(c) == "Cc" and c not in "\t\n\r"})
    if bad:
        raise ExpressionError("含有控制字符（" + "、".join(f"U+{ord(c):04X}" for c in bad) + "），请删除后再保存。",
                              source=source)


def _check_names(source: str, mode: str) -> None:
    """Refuse Python builtins the sandbox does not offer (open, eval, getattr, type …) by name,
    at validation time rather than as a NameError in the middle of a case."""
    _check_text(source)
    try:
        tree = ast.parse(source.strip(), mode=mode)
    except SyntaxError as exc:
        raise ExpressionError(translate_syntax_error(exc), source=source) from None
    except (RecursionError, MemoryError, ValueError):
        raise ExpressionError("表达式嵌套过深或无法解析。", source=source) from None
    nodes = list(ast.walk(tree))
    if any(isinstance(node, (ast.Import, ast.ImportFrom)) for node in nodes):
        raise ExpressionError("不允许导入模块（import）；日期、金额和工作日请用内置的 date、Decimal、add_workdays 等。",
                              source=source)
    bad = sorted({node.id for node in nodes if isinstance(node, ast.Name) and node.id in _FORBIDDEN_BUILTINS}
                 | {f".{node.attr}()" for node in nodes
                    if isinstance(node, ast.Attribute) and node.attr in ("format", "format_map")})
    if bad:
        raise ExpressionError("不允许使用：" + "、".join(bad) + ("（请改用 f-string）" if any(
            b.startswith(".") for b in bad) else ""), source=source)


def _compile(source: str, mode: str):
    _check_names(source, mode)
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    text = source.strip() if mode == "eval" else source
    try:
        result = compiler(text, f"<{'expression' if mode == 'eval' else 'script'}>", policy=SizeBoundedPolicy)
    except (RecursionError, MemoryError):
        raise ExpressionError("表达式嵌套过深，无法检查。", source=source) from None
    if result.errors:
        errors = [e.removeprefix("第 1 行：") for e in result.errors] if mode == "eval" else result.errors
        what = "表达式" if mode == "eval" else "脚本"
        raise ExpressionError(f"{what}不被允许：" + "；".join(dict.fromkeys(errors)), source=source)
    return result.code


@lru_cache(maxsize=4096)
def compile_expression(source: str):
    return _compile(source, "eval")


@lru_cache(maxsize=1024)
def compile_script(source: str):
    return _compile(source, "exec")


# --- running -----------------------------------------------------------------------------------

def _script_line(exc: BaseException) -> int | None:
    tb, line = exc.__traceback__, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<script>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


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
        raise ExpressionError(f"运行超过 {timeout} 秒，已中止（可能是死循环或运算量过大）。",
                              code="expression_timeout") from None
    except ExpressionError as exc:
        exc.details.setdefault("line", _script_line(exc))
        raise
    except Exception as exc:
        raise ExpressionError(explain(exc), line=_script_line(exc), cause=type(exc).__name__) from exc
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


# --- what a script may leave in the case --------------------------------------------------------

_SCALARS = (str, int, float, Decimal, date, timedelta, type(None))


def stored_size(name: str, value, budget: int = MAX_VALUE_CHARS) -> int:
    """The size of ``value`` once serialized (characters of JSON, roughly), measured without
    serializing it: a list holding the same 100 000-element list 100 000 times is refused after
    ``budget`` characters, not after ten billion. Raises ExpressionError for what the case cannot
    keep (sets, bytes, NaN, huge integers, non-text keys, nesting deeper than MAX_DEPTH)."""
    size, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ExpressionError(f"脚本写入的变量“{name}”嵌套超过 {MAX_DEPTH} 层，不能保存在办件中。")
        if isinstance(item, bool) or item is None:
            size += 5
        elif isinstance(item, int):
            _check_int_bits(item.bit_length())
            size += item.bit_length() // 3 + 2
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise ExpressionError(f"脚本写入的变量“{name}”不是有限数字（{item}），不能保存在办件中。")
            size += 24
        elif isinstance(item, (Decimal, date, timedelta)):
            if isinstance(item, Decimal) and not item.is_finite():
                raise ExpressionError(f"脚本写入的变量“{name}”不是有限数字，不能保存在办件中。")
            size += 40
        elif isinstance(item, str):
            size += len(item) + 2
        elif isinstance(item, (list, tuple)):
            size += 2 + len(item)
            stack.extend((v, depth + 1) for v in item[:budget])
        elif isinstance(item, dict):
            size += 2 + len(item)
            for key, v in list(item.items())[:budget]:
                if not isinstance(key, str):
                    raise ExpressionError(f"脚本写入的变量“{name}”是字典，它的键必须是文字，不能保存在办件中。")
                size += len(key) + 3
                stack.append((v, depth + 1))
        else:
            raise ExpressionError(f"脚本写入的变量“{name}”的类型（{type_name(type(item).__name__)}）不能保存在办件中；"
                                  "请使用文字、数字、金额、日期、列表或字典。")
        if size > budget:
            raise ExpressionError(f"脚本写入的变量“{name}”过大（超过 {budget:,} 个字符），不能保存在办件中。",
                                  code="data_too_large")
    return size


def execute(source: str, data: dict, extra: dict | None = None, timeout: float = 0.5) -> None:
    """Run a script; the names it assigns become task data, each within the size bounds. A
    refused script leaves ``data`` exactly as it was."""
    scope = dict(BASE_GLOBALS)
    scope.update(extra or {})
    reserved = set(scope)
    clash = reserved.intersection(data) - GUARD_NAMES
    if clash:
        raise ExpressionError(f"任务数据与内置函数重名：{', '.join(sorted(clash))}")
    scope.update(data)
    _run_bounded(compile_script(source), scope, timeout)
    written, total = {}, 0
    for key, value in scope.items():
        if key in reserved and key not in data:
            continue
        if key.startswith("_") or callable(value):
            continue
        if key in data and data[key] is value and not isinstance(value, (list, dict)):
            continue  # unchanged; a list or dict may have grown in place, so those are measured
        total += stored_size(key, value)
        if total > MAX_WRITE_CHARS:
            raise ExpressionError(f"脚本一次写入办件的数据超过 {MAX_WRITE_CHARS:,} 个字符，已拒绝。",
                                  code="data_too_large")
        written[key] = value
    data.update(written)
