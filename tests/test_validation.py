"""`sunhall processes validate`: one clear line per problem, never a traceback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.bpmn import validate_bytes
from engine.config import PROCESSES_DIR
from webapp.cli import main

from .bpmn_samples import BROKEN, LINEAR, VALID, gateway

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "bpmn-miwg-reference"


def test_a_good_flow_validates():
    result = validate_bytes(VALID.encode(), "ok.bpmn")
    assert result.ok, result.problems
    assert result.process_id == "p"


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_each_broken_file_gets_one_clear_line(name, tmp_path):
    text, expected = BROKEN[name]
    path = tmp_path / f"{name}.bpmn"
    path.write_text(text, encoding="utf-8")
    out = CliRunner().invoke(main, ["processes", "validate", str(path)])
    assert out.exit_code == 1
    lines = [line for line in out.output.splitlines() if line.strip()]
    assert lines and all(line.startswith(str(path)) for line in lines), out.output
    assert any(expected in line for line in lines), out.output
    assert "Traceback" not in out.output


def test_a_file_over_the_size_limit_is_refused(tmp_path):
    path = tmp_path / "huge.bpmn"
    path.write_text(VALID.replace("</bpmn:definitions>", "<!--" + "x" * (3 * 1024 * 1024) + "--></bpmn:definitions>"))
    out = CliRunner().invoke(main, ["processes", "validate", str(path)])
    assert out.exit_code == 1 and "超过上限" in out.output


def test_every_shipped_process_is_accepted():
    files = sorted(str(p) for p in PROCESSES_DIR.glob("*.bpmn"))
    assert len(files) >= 6
    out = CliRunner().invoke(main, ["processes", "validate", *files])
    assert out.exit_code == 0, out.output


def only_chinese(message: str) -> bool:
    """True when no English sentence is left once the quoted names, ids, code and the product's
    words are taken out: the designer reads Chinese, never a library's message."""
    rest = re.sub(r"请写成：.*$|“[^”]*”|（[^）]*）|\([^)]*\)|\"[^\"]*\"|\b[a-zA-Z]+:[a-zA-Z]+\b|"
                  r"Sunhall|JUEL|FEEL|Python|BPMN|isExecutable|f-string", "", message)
    return not re.search(r"[A-Za-z]{3,}", rest) and re.search(r"[\u4e00-\u9fff]", message) is not None


@pytest.mark.skipif(not CORPUS.exists(), reason="shared corpus not present")
@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.bpmn")) if CORPUS.exists() else [], ids=lambda p: p.name)
def test_interchange_corpus_is_imported_or_refused_cleanly(path):
    result = validate_bytes(path.read_bytes(), path.name)
    # these are diagrams made by other tools; each either validates or is refused one line per problem
    assert result.ok or result.problems
    for problem in result.problems:
        line = str(problem)
        assert "\n" not in line and line.startswith(path.name)
        assert "Traceback" not in line
        assert only_chinese(problem.message), line


@pytest.mark.skipif(not CORPUS.exists(), reason="shared corpus not present")
def test_the_corpus_juel_conditions_get_their_python():
    result = validate_bytes((CORPUS / "C.1.0.bpmn").read_bytes(), "C.1.0.bpmn")
    hints = {p.element: p.message for p in result.problems if "JUEL" in p.message}
    assert hints["invoiceApproved"].endswith("这是 JUEL 表达式，Sunhall 使用 Python 表达式，请写成：approved")
    assert hints["invoiceNotApproved"].endswith("请写成：not approved")
    assert hints["invoiceApproved"].startswith("排他网关“Invoice approved?”（invoice_approved）的分支“yes”")


def _problems(text: str) -> list[str]:
    return [p.message for p in validate_bytes(text.encode(), "t.bpmn").problems]


@pytest.mark.parametrize("tag,kind", [("task", "任务（未指定类型）"), ("manualTask", "手工任务")])
def test_tasks_nobody_can_complete_are_refused_with_what_to_use_instead(tag, kind):
    text = LINEAR.replace('<bpmn:userTask id="t" name="审查" camunda:candidateGroups="handle" sunhall:timeLimit="5"/>',
                          f'<bpmn:{tag} id="t" name="现场勘验"/>')
    assert _problems(text) == [f"{kind}“现场勘验”（t）在 Sunhall 中没有人能办理，办件会停在这里：请改为用户任务，并指定办理岗位和办理时限。"]


@pytest.mark.parametrize("attribute,ok", [("", True), (' isExecutable="true"', True), (' isExecutable="1"', True),
                                          (' isExecutable="false"', False), (' isExecutable="0"', False)])
def test_a_process_without_is_executable_is_executable_as_flowable_writes_it(attribute, ok):
    text = VALID.replace(' isExecutable="true"', attribute)
    result = validate_bytes(text.encode(), "flowable.bpmn")
    assert result.ok is ok, result.problems
    if ok:
        assert result.process_id == "p" and result.spec is not None
    else:
        assert [p.message for p in result.problems] == [
            "文件中没有可执行流程（流程都标记了 isExecutable=\"false\"）：请把要运行的流程设为可执行。"]


def test_an_explicitly_executable_process_wins_over_ones_without_the_attribute():
    other = '<bpmn:process id="q" name="另一个"><bpmn:startEvent id="qs"/></bpmn:process>\n'
    assert validate_bytes(VALID.replace("</bpmn:definitions>", other + "</bpmn:definitions>").encode()).ok
    two = VALID.replace(' isExecutable="true"', "").replace("</bpmn:definitions>", other + "</bpmn:definitions>")
    messages = [p.message for p in validate_bytes(two.encode()).problems]
    assert messages[0].startswith("文件中有 2 个可执行流程（“测试”、“另一个”），Sunhall 一次只部署一个")


@pytest.mark.parametrize("condition,suggestion", [
    ("${approved}", "approved"), ("#{amount &gt; 100}", "amount > 100"), ("${!approved}", "not approved"),
    ("${a &amp;&amp; b || !c}", "a and b or not c"), ("${amount gt 100 and level eq 'A'}", "amount > 100 and level == 'A'"),
    ("${x ne null}", "x != None"), ("${ok == true}", "ok == True"),
])
def test_juel_conditions_are_answered_with_the_python_to_write(condition, suggestion):
    messages = _problems(gateway(cond_yes=condition))
    assert messages == [f"排他网关“通过？”（g）的分支条件“{condition.replace('&gt;', '>').replace('&amp;', '&')}”无效："
                        f"这是 JUEL 表达式，Sunhall 使用 Python 表达式，请写成：{suggestion}"]


@pytest.mark.parametrize("condition,expected", [
    ("10**10**10 &gt; 0", "运算结果过大"), ("'a'*10**10", "运算结果过大"), ("[0]*10**9", "运算结果过大"),
    ("x.__class__", "属性“__class__”以下划线开头"), ("approved =", "语法错误"), ("金额 &gt; １００", "全角符号"),
])
def test_condition_refusals_name_the_gateway_and_are_chinese(condition, expected):
    messages = _problems(gateway(cond_yes=condition))
    assert len(messages) == 1 and messages[0].startswith("排他网关“通过？”（g）的分支条件“"), messages
    assert expected in messages[0] and only_chinese(messages[0]), messages[0]


def test_script_and_timer_refusals_name_the_element():
    script = LINEAR.replace('<bpmn:endEvent id="e"/>', '<bpmn:scriptTask id="calc" name="计算"><bpmn:script>'
                            'x = "a" * 10**10</bpmn:script></bpmn:scriptTask><bpmn:endEvent id="e"/>').replace(
        'sourceRef="t" targetRef="e"', 'sourceRef="t" targetRef="calc"/><bpmn:sequenceFlow id="f3" '
        'sourceRef="calc" targetRef="e"')
    assert _problems(script) == ["脚本任务“计算”（calc）的脚本无效：脚本不被允许：第 1 行：运算结果过大："
                                 "文字或列表的长度将达到约 10,000,000,000，超过上限 100,000，已拒绝运行。"]
    timer = LINEAR.replace('<bpmn:endEvent id="e"/>', '<bpmn:boundaryEvent id="tm" name="催办" attachedToRef="t" '
                           'cancelActivity="false"><bpmn:timerEventDefinition><bpmn:timeDuration>"P" * 10**9'
                           '</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>'
                           '<bpmn:endEvent id="e"/><bpmn:endEvent id="e2"/>'
                           '<bpmn:sequenceFlow id="f9" sourceRef="tm" targetRef="e2"/>')
    assert [m.split("：")[0] for m in _problems(timer)] == ["边界事件“催办”（tm）的定时器表达式“\"P\" * 10**9”无效"]
