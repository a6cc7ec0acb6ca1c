"""Chinese everywhere a person looks, in the browser: a case that went through several steps (and
a 督办 on it), its timeline, its replay, the rule catalogue, an item page, a flow change as the legal
office reviews it and the designer (palette, replace menu, properties panel, lint) show no Latin
word except codes and what the user typed."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from engine import clock, scheduler
from engine.catalogue import save_flow, submit_change
from engine.models import Case, User
from engine.service import return_to_step, start_case
from rules.models import Alert
from rules.service import open_supervision

from ..conftest import As
from ..helpers import do, task_id
from ..test_words import changed_flow
from ..words import latin_words, report
from .conftest import login

FOOD = "015309300002"
KEY = "food_business_license"
CONDITION = "amount > 100"  # an expression the designer wrote

EXERCISE_DESIGNER = """async () => {
  const m = window.sunhallModeler;
  const registry = m.get("elementRegistry"), selection = m.get("selection"), popup = m.get("popupMenu");
  const wait = () => new Promise((r) => setTimeout(r, 150));
  const expand = () => document.querySelectorAll(".bio-properties-panel-group-header:not(.open)").forEach((h) => h.click());
  const texts = [];
  for (const id of ["audit", "gw_inspect", "to_inspect", "review_timer", "start", "end_granted"]) {
    const el = registry.get(id);
    selection.select(el);
    await wait();
    expand();
    await wait();
    texts.push(document.querySelector("#properties").innerText);
    const pad = m.get("contextPad");
    pad.open(el, true);
    popup.open(el, "bpmn-replace", { x: 200, y: 200 });
    await wait();
    texts.push((document.querySelector(".djs-popup") || document.body).innerText);
    popup.close();
  }
  selection.select([registry.get("audit"), registry.get("decide")]);
  await wait();
  popup.open([registry.get("audit"), registry.get("decide")], "align-elements", { x: 200, y: 200 });
  await wait();
  popup.close();
  selection.select([]);
  return texts.join("\\n");
}"""


def seen(page, findings: dict, name: str, allow=()) -> str:
    page.wait_for_load_state("networkidle")
    text = page.evaluate("document.body.innerText")
    findings[name] = latin_words(text, allow=allow)
    return text


def test_no_latin_word_reaches_a_person(page, database, run, company, frozen_clock, restore_catalogue):
    case = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": False})
    do(run, database, case.id, As("sc001"), "accept", opinion="材料齐全，予以受理。")
    clock.travel(datetime(2026, 10, 12, 9, 0, tzinfo=clock.LOCAL_TZ))  # 材料审查 was due 10/10
    scheduler.tick(database)
    with database.transaction(write=False) as s:
        alarm = s.scalars(select(Alert).where(Alert.case_id == case.id, Alert.rule_code == "A002")).one()
    order = run(open_supervision, alarm.id, As("jw001"), "请于 5 个工作日内完成材料审查。", date(2026, 10, 19)).order_case_id
    do(run, database, order, As("jw001"), "initiate", opinion="发起督办。")
    do(run, database, case.id, As("sc003"), "review", opinion="同意。")
    do(run, database, case.id, As("sc004"), "inspect", data={"inspection_result": "场所布局合理"}, opinion="核查通过。")
    run(return_to_step, task_id(database, case.id, "audit"), As("sc005"), "review", "复印件不清晰")
    with database.transaction(write=False) as s:
        numbers = [s.get(Case, case.id).number, s.get(Case, order).number]
        staff = list(s.scalars(select(User.staff_no)))
    codes = numbers + staff + [FOOD]

    findings: dict[str, list] = {}
    login(page, "sc001")
    page.goto(f"/cases/{case.id}")
    text = seen(page, findings, "办件页（含办理过程）", codes)
    assert "退回" in text and "材料审查" in text

    login(page, "jw001")
    page.goto(f"/cases/{order}")
    text = seen(page, findings, "督办办件页（含办理过程）", codes)
    assert "→ 审核" in text  # the 督办 flow's next step by its name, not its id
    page.goto(f"/supervision/cases/{case.id}")
    text = seen(page, findings, "过程回放", codes)
    assert "场所布局合理" in text and "退回（审核）" in text
    page.goto("/supervision/rules")
    seen(page, findings, "监察规则库", codes)

    login(page, "xz001")
    page.goto(f"/catalogue/{FOOD}")
    seen(page, findings, "事项页", codes + [KEY])
    page.goto(f"/designer/{KEY}")
    page.wait_for_selector("#designer[data-ready='1']")
    page.wait_for_selector(".bjsl-button")
    assert "未发现问题" in page.locator(".bjsl-button").inner_text()  # bpmnlint finds nothing in a sound flow
    exercised = page.evaluate(EXERCISE_DESIGNER)
    findings["流程设计器（属性面板、更改类型菜单）"] = latin_words(exercised, allow=codes + [CONDITION])
    seen(page, findings, "流程设计器", codes + [CONDITION])
    assert page.evaluate("Array.from(window.sunhallUntranslated)") == []

    change = run(save_flow, As("xz001"), KEY, changed_flow().encode())
    run(submit_change, As("xz001"), change.id, "增加专家评审环节（食品经营许可审查通则）")
    login(page, "sf001")
    page.goto(f"/catalogue/changes/{change.id}")
    page.wait_for_selector("[data-bpmn-viewer] .djs-element")
    text = seen(page, findings, "流程变更（法制审核看到的差异）", codes + [CONDITION])
    assert "新增环节“专家评审”" in text and f"条件：{CONDITION}" in text

    assert not any(findings.values()), "Latin words a person would read:\n" + report(findings)
