"""Chinese for everything Python, RestrictedPython or the decimal module says about an expression:
a designer reads the cause of a refused or failed expression, never their English."""

from __future__ import annotations

import logging
import re
from decimal import DecimalException

from .errors import ExpressionError

log = logging.getLogger(__name__)

_NODE_NAMES = {
    "Import": "导入模块（import）", "ImportFrom": "导入模块（from … import）", "Global": "global 声明",
    "Nonlocal": "nonlocal 声明", "ClassDef": "类定义（class）", "AsyncFunctionDef": "异步函数（async def）",
    "AsyncFor": "async for", "AsyncWith": "async with", "Await": "await", "Yield": "yield",
    "YieldFrom": "yield from", "MatMult": "矩阵乘法运算符 @", "TryStar": "except*", "Interactive": "交互模式",
    "TemplateStr": "模板字符串", "Match": "match 语句",
}
_POLICY_MESSAGES = [
    (r'"(.+)" is an invalid variable name because it starts with "_"', "名称“{0}”以下划线开头，出于安全原因不允许使用"),
    (r'"(.+)" is an invalid variable name because it ends with "__roles__"', "名称“{0}”不允许使用"),
    (r'"(.+)" is a reserved name', "“{0}”是保留名称，不能使用"),
    (r'"(.+)" is an invalid attribute name because it starts with "_"', "属性“{0}”以下划线开头，出于安全原因不允许访问"),
    (r'"(.+)" is an invalid attribute name because it ends with "__roles__"', "属性“{0}”不允许访问"),
    (r'"(.+)" is a restricted name, that is forbidden to access', "“{0}”是受限名称，不允许访问"),
    (r"Lazy import statements are not allowed|\"\*\" imports are not allowed", "不允许导入模块（import）"),
    (r"(Exec|Eval) calls are not allowed", "不允许调用 {0}"),
    (r"Unpacking in comprehensions is not allowed", "推导式中不允许使用 * 或 ** 解包"),
    (r"Augmented assignment of attributes is not allowed", "不允许对属性使用增量赋值（如 a.b += 1）"),
    (r"Augmented assignment of object items and slices is not allowed",
     "不允许对元素或切片使用增量赋值（如 a[0] += 1），请写成 a[0] = a[0] + 1"),
    (r'The keyword argument "metaclass" is not allowed', "不允许使用 metaclass"),
    (r"Assignment expressions are only allowed for simple targets", "海象运算符（:=）只能赋值给简单变量"),
    (r"(\w+) statements? (?:are|is) not allowed", None),
]


def translate_policy_message(info: str) -> str:
    """RestrictedPython's English reason for refusing code, in Chinese. Our own messages (from
    constant folding) arrive prefixed with NUL and pass through unchanged."""
    if info.startswith("\0"):
        return info[1:]
    for pattern, template in _POLICY_MESSAGES:
        match = re.search(pattern, info)
        if match is None:
            continue
        if template is None:
            return f"不允许使用{_NODE_NAMES.get(match.group(1), f'此语法（{match.group(1)}）')}"
        return template.format(*match.groups())
    log.warning("untranslated RestrictedPython message: %s", info)
    return "此写法未通过沙箱安全检查，请改用更简单的 Python 表达式"


def located(message: str, line: int | None) -> str:
    return f"第 {line} 行：{message}" if line else message


_SYNTAX_MESSAGES = [
    (r"^'(.)' was never closed", "括号“{0}”没有闭合"),
    (r"^unmatched '(.)'", "多了一个“{0}”"),
    (r"^closing parenthesis '(.)' does not match opening parenthesis '(.)'", "括号“{1}”与“{0}”不匹配"),
    (r"^unterminated (?:triple-quoted )?string literal", "字符串缺少结束引号"),
    (r"^EOL while scanning|^EOF while scanning", "字符串缺少结束引号"),
    (r"^expected ':'", "缺少冒号“:”"),
    (r"^expected an indented block", "缺少缩进的代码块"),
    (r"^unexpected indent", "缩进不正确（多余的缩进）"),
    (r"^unindent does not match", "缩进与外层代码不一致"),
    (r"^inconsistent use of tabs and spaces", "缩进混用了制表符和空格"),
    (r"^invalid character '(.)' \(U\+([0-9A-F]+)\)", "含有无效字符“{0}”（U+{1}），可能是全角符号，请改用半角符号"),
    (r"^invalid non-printable character U\+([0-9A-F]+)", "含有不可见字符 U+{0}"),
    (r"^invalid (?:decimal|hexadecimal|octal|binary|digit|imaginary) .*literal", "数字写法无效"),
    (r"^leading zeros in decimal integer literals", "整数不能以 0 开头"),
    (r"Maybe you meant '==' or ':=' instead of '='|Maybe you meant '==' instead of '='",
     "这里不能用“=”，比较是否相等请用“==”"),
    (r"^cannot assign to (.+?)(?: here)?\.?$", "不能给“{0}”赋值"),
    (r"^'(return|break|continue|yield|await)' outside", "“{0}”用在了不允许的位置"),
    (r"^too many (?:nested parentheses|statically nested blocks)", "嵌套过深"),
    (r"^unexpected EOF|^incomplete input", "表达式不完整"),
    (r"^f-string", "f-string 写法有误"),
    (r"Perhaps you forgot a comma", "语法无效，可能漏了逗号"),
    (r"^invalid syntax", "语法无效"),
]


def translate_syntax_error(exc: SyntaxError) -> str:
    reason = "语法无效"
    for pattern, template in _SYNTAX_MESSAGES:
        match = re.search(pattern, exc.msg or "")
        if match:
            reason = template.format(*match.groups())
            break
    else:
        log.info("untranslated syntax error: %s", exc.msg)
    where = f"第 {exc.lineno} 行" + (f"第 {exc.offset} 列" if exc.offset else "") if exc.lineno else ""
    return f"语法错误（{where}）：{reason}" if where else f"语法错误：{reason}"


_TYPE_NAMES = {"int": "整数", "float": "小数", "str": "文字", "NoneType": "空值（None）", "list": "列表",
               "dict": "字典", "tuple": "元组", "bool": "布尔值", "Decimal": "金额（Decimal）", "date": "日期",
               "datetime": "日期时间", "timedelta": "时间段", "set": "集合", "bytes": "字节串",
               "function": "函数", "builtin_function_or_method": "函数", "range": "range"}


def type_name(name: str) -> str:
    return _TYPE_NAMES.get(name, name)


_RUNTIME_MESSAGES = [
    (TypeError, r"unsupported operand type\(s\) for (.+): '(\w+)' and '(\w+)'",
     lambda m: f"运算“{m[1]}”不能用于{type_name(m[2])}和{type_name(m[3])}"),
    (TypeError, r"can only concatenate (\w+) \(not \"(\w+)\"\) to",
     lambda m: f"{type_name(m[1])}只能和{type_name(m[1])}相加，不能加{type_name(m[2])}"),
    (TypeError, r"'(.+)' not supported between instances of '(\w+)' and '(\w+)'",
     lambda m: f"不能用“{m[1]}”比较{type_name(m[2])}和{type_name(m[3])}"),
    (TypeError, r"bad operand type for unary (.+): '(\w+)'", lambda m: f"运算“{m[1]}”不能用于{type_name(m[2])}"),
    (TypeError, r"'(\w+)' object is not subscriptable", lambda m: f"{type_name(m[1])}不能用下标取值"),
    (TypeError, r"'(\w+)' object is not iterable", lambda m: f"{type_name(m[1])}不能逐项遍历"),
    (TypeError, r"'(\w+)' object is not callable", lambda m: f"{type_name(m[1])}不能当作函数调用"),
    (TypeError, r"object of type '(\w+)' has no len", lambda m: f"{type_name(m[1])}没有长度"),
    (TypeError, r"(\w+)\(\) takes .* but \d+ .* given|(\w+)\(\) missing \d+ required",
     lambda m: f"调用 {m[1] or m[2]}() 时参数个数不对"),
    (TypeError, r".", lambda m: "数据类型不匹配"),
    (AttributeError, r"'(\w+)' object has no attribute '(\w+)'",
     lambda m: f"{type_name(m[1])}没有属性“{m[2]}”"),
    (AttributeError, r".", lambda m: "不能访问此属性"),
    (ValueError, r"invalid literal for int\(\) with base \d+: (.*)", lambda m: f"无法把 {m[1]} 转换为整数"),
    (ValueError, r"could not convert string to float: (.*)", lambda m: f"无法把 {m[1]} 转换为小数"),
    (ValueError, r"Exceeds the limit .* for integer string conversion", lambda m: "整数位数过多，无法转换为文字"),
    (ValueError, r"(not enough|too many) values to unpack", lambda m: "拆分赋值时左右两边的个数不一致"),
    (ValueError, r"(\w+)\(\) arg is an empty sequence", lambda m: f"{m[1]}() 的参数不能是空序列"),
    (ValueError, r".", lambda m: "数值无效"),
]


def explain(exc: BaseException) -> str:
    """The cause of a failed expression in Chinese, for the designer; never Python's English."""
    if isinstance(exc, ExpressionError):
        return exc.message
    if isinstance(exc, SyntaxError):
        return translate_syntax_error(exc)
    text = str(exc.args[0]) if exc.args else ""
    if re.search(r"[\u4e00-\u9fff]", text):  # the designer's own message, e.g. raise ValueError("金额不能为负")
        return text
    if isinstance(exc, NameError):
        name = getattr(exc, "name", None) or (re.findall(r"'(\w+)'", text) or ["?"])[0]
        if name.startswith("_"):
            return "使用了沙箱不支持的写法（例如 print）"
        return f"未定义的变量 {name}（办件数据中还没有“{name}”）"
    if isinstance(exc, ZeroDivisionError):  # decimal.DivisionByZero is one too
        return "除数为零"
    if isinstance(exc, DecimalException):
        return "金额运算无效或超出范围"
    if isinstance(exc, KeyError):
        return f"数据中没有键 {exc.args[0]!r}" if exc.args and isinstance(exc.args[0], (str, int)) else "数据中没有此键"
    if isinstance(exc, IndexError):
        return "下标超出范围"
    if isinstance(exc, OverflowError):
        return "数值超出范围"
    if isinstance(exc, RecursionError):
        return "嵌套或递归过深"
    if isinstance(exc, MemoryError):
        return "所需内存过大"
    if isinstance(exc, AssertionError):
        return "断言不成立"
    for kind, pattern, message in _RUNTIME_MESSAGES:
        if isinstance(exc, kind):
            match = re.search(pattern, text)
            if match:
                return message(match)
    return f"运行出错（{type(exc).__name__}）"
