"""Chinese everywhere a person looks: the legal reviewer's flow diff reads as an official writes it,
the replay and the timeline name steps and actions in words and print values as a person writes
them, an item page shows labelled values, never JSON."""

from __future__ import annotations

import ast
import html
import re
from datetime import date
from pathlib import Path

from sqlalchemy import select

from engine.bpmn.diff import FlowNames, compare_flows, duration_text
from engine.models import Case, CaseEvent, Post
from engine.service import deploy_process, return_to_step, start_case
from forms.documents import ACTIONS
from forms.registry import get_form
from rules.replay import event_text, replay, step_names, value_text

from .conftest import As
from .helpers import do, task_id
from .test_designer import FOOD, FOOD_BPMN, KEY
from .webhelpers import login
from .words import latin_words, report

ROOT = Path(__file__).resolve().parents[1]
AUDIT = next(line for line in FOOD_BPMN.splitlines() if 'id="audit"' in line)


def changed_flow() -> str:
    """审核 moves to the legal post with 2 days; 专家评审 comes in after it, on a condition."""
    new = FOOD_BPMN.replace(AUDIT, AUDIT.replace('sunhall:timeLimit="3"', 'sunhall:timeLimit="2"')
                            .replace('camunda:candidateGroups="review"', 'camunda:candidateGroups="legal"'))
    return new.replace(
        '<bpmn:sequenceFlow id="flow_7" sourceRef="audit" targetRef="decide"/>',
        '<bpmn:userTask id="expert" name="专家评审" camunda:candidateGroups="review" camunda:formKey="food_business" '
        'sunhall:timeLimit="3" sunhall:specialProcedure="专家评审" sunhall:documents="专家评审意见书,检验报告">'
        '<bpmn:extensionElements><sunhall:field name="business_name" access="read"/></bpmn:extensionElements>'
        '</bpmn:userTask>\n'
        '<bpmn:sequenceFlow id="flow_7" sourceRef="audit" targetRef="expert"/>\n'
        '<bpmn:sequenceFlow id="flow_expert" sourceRef="expert" targetRef="decide">'
        '<bpmn:conditionExpression>amount &gt; 100</bpmn:conditionExpression></bpmn:sequenceFlow>')


def names_from(session) -> FlowNames:
    posts = {}
    for post in session.scalars(select(Post).order_by(Post.code, Post.id)):
        posts.setdefault(post.code, post.name)
    form = get_form(session, "food_business")
    return FlowNames(posts=posts, forms={"food_business": form.name},
                     fields={"food_business": {f["name"]: f["label"] for f in form.fields}})


def test_the_flow_diff_reads_as_an_official_writes_it(database):
    with database.transaction(write=False) as s:
        names = names_from(s)
        form_name = get_form(s, "food_business").name
        label = {f["name"]: f["label"] for f in get_form(s, "food_business").fields}["business_name"]
    texts = {c.element: c.text for c in compare_flows(FOOD_BPMN, changed_flow(), names)}
    assert texts == {
        "audit": "环节“审核”：办理岗位由“审核”改为“法制审核”；时限由 3 个工作日 改为 2 个工作日",
        "expert": f"新增环节“专家评审”：办理岗位 审核，时限 3 个工作日，表单 {form_name}，特别程序 专家评审（计时暂停），"
                  f"产生文书 专家评审意见书、检验报告，字段“{label}” 只读",
        "flow_7": "原从“审核”到“审批决定”的连线改为从“审核”到“专家评审”",
        "flow_expert": "新增连线：从“专家评审”到“审批决定”，条件：amount > 100",
    }
    back = {c.element: c.text for c in compare_flows(changed_flow(), FOOD_BPMN, names)}
    assert back["expert"] == "删除环节“专家评审”"
    assert back["flow_expert"] == "删除连线：从“专家评审”到“审批决定”"
    assert back["audit"] == "环节“审核”：办理岗位由“法制审核”改为“审核”；时限由 2 个工作日 改为 3 个工作日"
    only_post = FOOD_BPMN.replace(AUDIT, AUDIT.replace('candidateGroups="review"', 'candidateGroups="legal"'))
    assert [c.text for c in compare_flows(FOOD_BPMN, only_post, names)] == ["环节“审核”的办理岗位由“审核”改为“法制审核”"]
    for change in compare_flows(FOOD_BPMN, changed_flow(), names):
        assert latin_words(change.text, allow=["amount > 100"]) == []


def test_timers_and_renames_are_told_in_words():
    timer = re.search(r"<bpmn:timeDuration>(\w+)</bpmn:timeDuration>", FOOD_BPMN).group(1)
    renamed = FOOD_BPMN.replace(f"<bpmn:timeDuration>{timer}</bpmn:timeDuration>", "<bpmn:timeDuration>PT36H</bpmn:timeDuration>")
    renamed = renamed.replace(AUDIT, AUDIT.replace('name="审核"', 'name="复核"'))
    texts = [c.text for c in compare_flows(FOOD_BPMN, renamed)]
    assert "环节“审核”更名为“复核”" in texts
    assert any(f"定时由“等待{duration_text(timer)}”改为“等待36小时”" in t for t in texts), texts
    assert duration_text("P3D") == "3天" and duration_text("R3/PT1H") == "每1小时，共3次"
    assert duration_text("timedelta(days=1)") == "timedelta(days=1)"  # a designer's expression, as written


def test_the_flow_pages_show_sentences_not_ids(client, run, restore_catalogue):
    run(deploy_process, changed_flow().encode(), f"{KEY}.bpmn", None, FOOD)
    login(client, "xz001")
    page = client.get(f"/flows/{KEY}?a=1&b=2").get_data(as_text=True)
    diff = page.split('id="flow-diff"')[1].split("</table>")[0]
    assert re.findall(r'data-element="([^"]+)"', diff) == ["audit", "expert", "flow_7", "flow_expert"]
    shown = visible(diff)
    assert "新增环节“专家评审”：办理岗位 审核" in shown and "环节“审核”：办理岗位由“审核”改为“法制审核”" in shown
    assert latin_words(shown, allow=["amount > 100"]) == []


def visible(fragment: str) -> str:
    """The text of an HTML fragment as a reader sees it (tags, scripts and styles removed)."""
    fragment = re.sub(r"<(script|style|template)\b.*?</\1>", " ", fragment, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", fragment))


def test_form_values_are_written_as_a_person_writes_them():
    assert value_text({"type": "date"}, "2026-11-28") == "2026年11月28日"
    assert value_text({"type": "boolean"}, True) == "是" and value_text({"type": "boolean"}, False) == "否"
    assert value_text({"type": "multi_select"}, ["预包装食品销售", "散装食品销售"]) == "预包装食品销售、散装食品销售"
    assert value_text({"type": "money"}, 1234.5) == "1,234.50 元"
    assert value_text({"type": "date_range"}, {"start": "2026-01-01", "end": "2026-02-01"}) == "2026年1月1日至2026年2月1日"
    assert value_text({"type": "text"}, None) == "（未填写）"
    group = {"type": "group", "fields": [{"name": "name", "label": "姓名"}, {"name": "ok", "label": "在岗",
                                                                            "type": "boolean"}]}
    assert value_text(group, [{"name": "张三", "ok": True}]) == "姓名：张三，在岗：是"
    for value in ([1, 2], {"a": 1}, True, date(2026, 1, 2)):
        assert not re.search(r"[\[\]{}']|True|False|datetime", value_text(None, value)), value


def test_replay_and_timeline_name_every_step_and_action_in_words(run, database, company, frozen_clock, client, app):
    case = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": True})
    do(run, database, case.id, As("sc001"), "accept", opinion="材料齐全，予以受理。")
    do(run, database, case.id, As("sc003"), "review", opinion="同意。")
    run(return_to_step, task_id(database, case.id, "audit"), As("sc005"), "review", "复印件不清晰")
    do(run, database, case.id, As("sc003"), "review", opinion="已补充核实。")
    with database.transaction(write=False) as s:
        loaded = s.get(Case, case.id)
        names = step_names(s, loaded)
        assert {"accept": "受理", "audit": "审核", "issue": "制证发证"}.items() <= names.items()
        r = replay(s, loaded)
        lines = [line.text for line in r["events"]]
        events = list(s.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)))
        assert event_text(events[0], names).startswith("收件")
    assert "办理（受理）：意见：材料齐全，予以受理。 → 材料审查" in lines
    assert any(line.startswith("退回（审核）：退回至“材料审查”") for line in lines), lines
    assert latin_words("\n".join(lines)) == []

    login(client, "sc001")
    timeline = visible(client.get(f"/cases/{case.id}").get_data(as_text=True).split("<h2>办理过程</h2>")[1]
                       .split("</section>")[0])
    assert "→ 审核" in timeline and "退回（审核）" in timeline  # the returned step keeps its name
    assert latin_words(timeline) == []

    supervisor = app.test_client()
    login(supervisor, "jw001")
    page = visible(supervisor.get(f"/supervision/cases/{case.id}").get_data(as_text=True).split("<main")[1])
    assert "退回（审核）" in page and "食品经营许可" in page
    assert latin_words(page, allow=[case.number]) == [], report({"replay": latin_words(page, allow=[case.number])})


def test_an_item_page_shows_labelled_values_never_json(client):
    login(client, "xz001")
    page = client.get(f"/catalogue/{FOOD}").get_data(as_text=True)
    fields = page.split('class="list fields"')[1].split("</table>")[0]
    shown = visible(fields)
    assert not re.search(r"[{}\[\]]|\"\w+\":|'\w+':", shown), shown
    assert "《中华人民共和国食品安全法》" in shown or "《" in shown
    assert "必需" in shown and "个工作日" in shown and "行政许可" in shown and "承诺件" in shown
    assert latin_words(shown, allow=[KEY]) == [], report({"item": latin_words(shown, allow=[KEY])})


def _emitted_actions() -> set[str]:
    """Every action name the engine writes to a case's log (emit(…, "x") and audit.record(…, "x"))."""
    def names(expr) -> set[str]:
        values = [expr]
        if isinstance(expr, ast.Subscript) and isinstance(expr.value, ast.Dict):
            values = list(expr.value.values)  # {"correction": "correction_supplied", …}[kind]
        return {v.value for v in values if isinstance(v, ast.Constant) and isinstance(v.value, str)
                and re.fullmatch(r"[a-z_]+", v.value)}

    found = set()
    for path in (ROOT / "engine").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in ("emit", "record"):
                for arg in node.args[1:4]:
                    found |= names(arg)
            elif isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "action" for t in node.targets):
                found |= names(node.value)
    return found


def test_every_action_the_engine_logs_has_a_chinese_name():
    emitted = _emitted_actions()
    assert {"receive", "complete", "return", "correction_supplied", "recompute_deadlines"} <= emitted
    assert sorted(emitted - set(ACTIONS)) == []
    assert all(not re.search(r"[A-Za-z]", word) for word in ACTIONS.values())
