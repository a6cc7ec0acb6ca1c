"""Writes the demo county's flow charts (*.bpmn in this folder) with a simple diagram layout.

The .bpmn files are the product; this script is how they were drawn. Designers change them in
the designer or in Camunda Modeler; run `python processes/build_demo_flows.py` only to redraw
all of them from the tables below.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).parent
COL, ROW, X0, Y0 = 170, 130, 80, 80
SIZES = {"start": (36, 36), "end": (36, 36), "user": (110, 80), "script": (110, 80), "xor": (50, 50)}


def user(id, name, col, row, post, limit, unit="workday", **extra):
    return dict(kind="user", id=id, name=name, col=col, row=row, post=post, limit=limit, unit=unit, **extra)


def xor(id, name, col, row, default=None):
    return dict(kind="xor", id=id, name=name, col=col, row=row, default=default)


def start(col=0, row=0):
    return dict(kind="start", id="start", name="收件", col=col, row=row)


def end(id, name, col, row):
    return dict(kind="end", id=id, name=name, col=col, row=row)


def script(id, name, col, row, code):
    return dict(kind="script", id=id, name=name, col=col, row=row, code=code)


def _attrs(node) -> str:
    a = [f'id="{node["id"]}"', f'name="{escape(node["name"])}"']
    if node["kind"] == "user":
        a.append(f'camunda:candidateGroups="{node["post"]}"')
        if node.get("form"):
            a.append(f'camunda:formKey="{node["form"]}"')
        a.append(f'sunhall:timeLimit="{node["limit"]}"')
        a.append(f'sunhall:timeUnit="{node["unit"]}"')
        for key, attr in (("stage", "stage"), ("special", "specialProcedure"), ("dept", "department")):
            if node.get(key):
                a.append(f'sunhall:{attr}="{node[key]}"')
        if node.get("docs"):
            a.append(f'sunhall:documents="{",".join(node["docs"])}"')
    if node["kind"] == "xor" and node.get("default"):
        a.append(f'default="{node["default"]}"')
    return " ".join(a)


def _bounds(node):
    w, h = SIZES[node["kind"]]
    cx, cy = X0 + node["col"] * COL + 55, Y0 + node["row"] * ROW + 40
    return cx - w // 2, cy - h // 2, w, h


# work between offices, not a citizen's application: the flow declares the case operations it offers
# (engine.service.authority)
INTERNAL = {key: ' sunhall:internal="true" sunhall:operations="complete,claim,return,transfer"'
            for key in ("supervise_order", "item_review")}
INTERNAL["proactive_publication"] = ' sunhall:internal="true" sunhall:operations="complete,claim,transfer"'


def build(process_id, name, nodes, flows, timers=()):
    form_key, access = FORMS.get(process_id, (None, {}))
    for n in nodes:
        if n["kind"] == "user" and form_key:
            n.setdefault("form", form_key)
            n.setdefault("fields", {f: a for a, names in access.get(n["id"], {}).items() for f in names})
    by_id = {n["id"]: n for n in nodes}
    body, shapes, edges = [], [], []
    for n in nodes:
        tag = {"start": "startEvent", "end": "endEvent", "user": "userTask", "script": "scriptTask",
               "xor": "exclusiveGateway"}[n["kind"]]
        inner = ""
        if n["kind"] == "user":
            ext = []
            if n.get("risk"):
                r = n["risk"]
                ext.append(f'<sunhall:riskPoint name="{escape(r[0])}" type="{escape(r[1])}" measure="{escape(r[2])}"/>')
            for field_name, access in n.get("fields", {}).items():
                ext.append(f'<sunhall:field name="{field_name}" access="{access}"/>')
            if ext:
                inner = ("\n      <bpmn:extensionElements>\n        " + "\n        ".join(ext)
                         + "\n      </bpmn:extensionElements>\n    ")
            if n.get("each"):  # parallel multi-instance: one task per element, e.g. per body (交办)
                collection, element = n["each"]
                inner = (inner or "\n    ") + (f'  <bpmn:multiInstanceLoopCharacteristics camunda:collection="{collection}" '
                                                f'camunda:elementVariable="{element}"/>\n    ')
        if n["kind"] == "script":
            inner = f'\n      <bpmn:script>{escape(n["code"])}</bpmn:script>\n    '
        attrs = _attrs(n) + (' scriptFormat="python"' if n["kind"] == "script" else "")
        body.append(f"    <bpmn:{tag} {attrs}>{inner}</bpmn:{tag}>" if inner else f"    <bpmn:{tag} {attrs}/>")
        x, y, w, h = _bounds(n)
        marker = ' isMarkerVisible="true"' if n["kind"] == "xor" else ""
        shapes.append(f'      <bpmndi:BPMNShape id="{n["id"]}_di" bpmnElement="{n["id"]}"{marker}>'
                      f'<dc:Bounds x="{x}" y="{y}" width="{w}" height="{h}"/></bpmndi:BPMNShape>')
    for t in timers:
        # a reminder runs beside its step (cancelActivity="false"); a waiting period's end interrupts it
        cancel = "true" if t.get("interrupting") else "false"
        when = (f'<bpmn:timeDate xsi:type="bpmn:tFormalExpression">{escape(t["date"])}</bpmn:timeDate>' if t.get("date")
                else f'<bpmn:timeDuration>{t["duration"]}</bpmn:timeDuration>')
        body.append(f'    <bpmn:boundaryEvent id="{t["id"]}" name="{escape(t["name"])}" attachedToRef="{t["on"]}" '
                    f'cancelActivity="{cancel}">\n      <bpmn:timerEventDefinition>{when}'
                    f'</bpmn:timerEventDefinition>\n    </bpmn:boundaryEvent>')
        x, y, w, h = _bounds(by_id[t["on"]])
        by_id[t["id"]] = dict(kind="start", id=t["id"], col=by_id[t["on"]]["col"], row=by_id[t["on"]]["row"])
        shapes.append(f'      <bpmndi:BPMNShape id="{t["id"]}_di" bpmnElement="{t["id"]}">'
                      f'<dc:Bounds x="{x + w - 30}" y="{y + h - 18}" width="36" height="36"/></bpmndi:BPMNShape>')
        by_id[t["id"]]["anchor"] = (x + w - 12, y + h + 18)
    for i, f in enumerate(flows):
        src, dst, *rest = f
        fid = rest[1] if len(rest) > 1 and rest[1] else f"flow_{i + 1}"
        cond = rest[0] if rest else None
        label = f' name="{escape(f[4])}"' if len(f) > 4 else ""
        inner = (f'\n      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{escape(cond)}'
                 f'</bpmn:conditionExpression>\n    ') if cond else ""
        tag = f'<bpmn:sequenceFlow id="{fid}"{label} sourceRef="{src}" targetRef="{dst}"'
        body.append(f"    {tag}>{inner}</bpmn:sequenceFlow>" if inner else f"    {tag}/>")
        s, d = by_id[src], by_id[dst]
        if "anchor" in s:
            sx, sy = s["anchor"]
        else:
            x, y, w, h = _bounds(s)
            sx, sy = x + w, y + h // 2
        x2, y2, w2, h2 = _bounds(d)
        tx, ty = x2, y2 + h2 // 2
        points = [(sx, sy)]
        over = sy == ty and "anchor" not in s and any(
            n is not s and n is not d and n.get("row") == s.get("row") and s["col"] < n.get("col", -1) < d["col"]
            for n in by_id.values())
        if over:  # a flow that skips steps on its row goes over them, not under their boxes
            x, y, w, h = _bounds(s)
            top = min(y, y2) - 40
            points = [(x + w // 2, y), (x + w // 2, top), (x2 + w2 // 2, top), (x2 + w2 // 2, y2)]
            wps = "".join(f'<di:waypoint x="{px}" y="{py}"/>' for px, py in points)
            edges.append(f'      <bpmndi:BPMNEdge id="{fid}_di" bpmnElement="{fid}">{wps}</bpmndi:BPMNEdge>')
            continue
        if sy != ty:
            if "anchor" in s:
                points.append((sx, ty))
            else:
                points += [(sx + 20, sy), (sx + 20, ty)]
        points.append((tx, ty))
        wps = "".join(f'<di:waypoint x="{px}" y="{py}"/>' for px, py in points)
        edges.append(f'      <bpmndi:BPMNEdge id="{fid}_di" bpmnElement="{fid}">{wps}</bpmndi:BPMNEdge>')
    xml = f'''<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:sunhall="urn:sunhall:bpmn:1.0"
  id="defs_{process_id}" targetNamespace="urn:sunhall:demo" exporter="Sunhall" exporterVersion="0.1">
  <bpmn:process id="{process_id}" name="{escape(name)}" isExecutable="true"{INTERNAL.get(process_id, "")}>
{chr(10).join(body)}
  </bpmn:process>
  <bpmndi:BPMNDiagram id="diagram_{process_id}">
    <bpmndi:BPMNPlane id="plane_{process_id}" bpmnElement="{process_id}">
{chr(10).join(shapes + edges)}
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
'''
    (HERE / f"{process_id}.bpmn").write_text(xml, encoding="utf-8")


FLOWS = {}

_W, _H = "write", "hidden"
# process -> (form key, {step: {access: [fields]}}); fields not named keep the form's default access
FORMS = {
    "individual_business_registration": ("individual_business", {
        "receive": {_W: ["business_name", "operator_name", "operator_id", "phone", "address", "business_scope",
                         "form_of_organisation", "capital", "employees"]},
        "register": {_W: ["license_no"]},
    }),
    "food_business_license": ("food_business", {
        "accept": {_W: ["business_name", "credit_code", "legal_rep", "legal_rep_id", "phone", "address",
                        "business_area", "categories"], _H: ["inspectors", "inspection_result", "license_no", "valid_until",
                                                             "prepackaged_only"]},
        "review": {_W: ["prepackaged_only"], _H: ["inspectors", "inspection_result", "license_no", "valid_until"]},
        "inspect": {_W: ["inspectors", "inspection_result", "business_area"], _H: ["license_no", "valid_until"]},
        "audit": {_H: ["license_no", "valid_until"]},
        "decide": {_H: ["license_no", "valid_until"]},
        "issue": {_W: ["license_no", "valid_until"]},
        "deliver_denial": {_H: ["license_no", "valid_until"]},
    }),
    "public_place_hygiene_license": ("public_hygiene", {
        "accept": {_W: ["business_name", "credit_code", "legal_rep", "phone", "address", "place_type", "floor_area",
                        "staff_count"], _H: ["test_report_no", "test_passed", "license_no"]},
        "review": {_H: ["test_report_no", "test_passed", "license_no"]},
        "hygiene_test": {_W: ["test_report_no", "test_passed"], _H: ["license_no"]},
        "audit": {_H: ["license_no"]},
        "decide": {_H: ["license_no"]},
        "issue": {_W: ["license_no"]},
    }),
    "construction_permit": ("construction_permit", {
        "accept": {_W: ["project_name", "builder", "builder_code", "contractor", "site", "contract_amount", "floor_area",
                        "planning_permit_no", "period"], _H: ["review_note", "permit_no"]},
        "review": {_W: ["review_note"], _H: ["permit_no"]},
        "decide": {_H: ["permit_no"]},
        "issue": {_W: ["permit_no"]},
    }),
    "administrative_penalty_general": ("administrative_penalty", {
        "file": {_W: ["party_name", "party_certificate", "case_source", "facts"]},
        "investigate": {_W: ["facts", "evidence", "goods_value", "illegal_income"]},
        "legal_review": {_W: ["legal_opinion", "violated_provision", "penalty_basis"]},
        "notify": {_W: ["intended_penalty", "violated_provision", "penalty_basis"]},
        "statement": {_W: ["statement_received_on", "defence_statement", "waived", "hearing_requested"]},
        "hearing_notice": {_W: ["hearing_date", "hearing_place", "hearing_officer"]},
        "hearing": {_W: ["hearing_record"]},
        "decide": {_W: ["defence_review", "severity", "penalty_kind", "fine_amount", "confiscated_amount",
                        "performance"]},
        "deliver": {_W: ["delivered_on"]},
        "execute": {_W: ["execution"]},
    }),
    # the 申请表 (ZF-01) printed for counter and letter applicants lists what the first step takes; the
    # steps themselves are worked through engine.disclosure.service, which keeps the request's own row
    "government_information_request": ("information_request", {
        "review": {_W: ["applicant_name", "applicant_certificate", "phone", "address", "requested_info", "channel",
                        "delivery"]},
    }),
    "supervise_order": ("supervise_order", {
        "initiate": {_W: ["supervised_unit", "case_number", "item_name", "problem", "requirement", "end_date"]},
        "review": {_W: ["review_opinion"]},
        "sign": {_W: ["sign_note"]},
        "feedback": {_W: ["feedback", "rectified"]},
        "conclude": {_W: ["conclusion"]},
    }),
}

FLOWS["individual_business_registration"] = ("个体工商户设立登记", [
    start(),
    user("receive", "收件审查", 1, 0, "window", 0, stage="accept", docs=["受理通知书"]),
    xor("gw_complete", "材料齐全、符合法定形式？", 2, 0, default="to_register"),
    user("register", "核准登记并发照", 3, 0, "window", 0, stage="decide", docs=["准予个体工商户设立登记通知书", "营业执照"]),
    end("end_registered", "准予登记", 4, 0),
    end("end_refused", "不予登记", 3, 1),
], [("start", "receive"), ("receive", "gw_complete"),
    ("gw_complete", "end_refused", "approved == False", "to_refuse", "否"),
    ("gw_complete", "register", None, "to_register", "是"), ("register", "end_registered")])

FLOWS["food_business_license"] = ("食品经营许可", [
    start(),
    user("accept", "受理", 1, 0, "window", 5, stage="accept", docs=["受理通知书", "补正告知书", "不予受理决定书"]),
    user("review", "材料审查", 2, 0, "handle", 5),
    xor("gw_inspect", "需要现场核查？", 3, 0, default="to_inspect"),
    user("inspect", "现场核查", 4, 0, "handle", 10,
         risk=("核查走过场", "履职风险", "两名以上执法人员核查并上传现场照片")),
    user("audit", "审核", 5, 0, "review", 3),
    user("decide", "审批决定", 6, 0, "approve", 2, stage="decide", docs=["准予许可决定书", "不予许可决定书"],
         risk=("违规审批", "廉政风险", "集体研究、全程留痕")),
    xor("gw_grant", "准予许可？", 7, 0, default="to_issue"),
    user("issue", "制证发证", 8, 0, "window", 10, stage="deliver", docs=["食品经营许可证", "送达回证"]),
    end("end_granted", "准予许可", 9, 0),
    user("deliver_denial", "送达不予许可决定", 8, 1, "window", 2, stage="deliver", docs=["送达回证"]),
    end("end_denied", "不予许可", 9, 1),
    script("remind", "发送催办提醒", 3, 2, "reminded = True"),
    end("end_reminded", "已提醒", 4, 2),
], [("start", "accept"), ("accept", "review"), ("review", "gw_inspect"),
    ("gw_inspect", "audit", "prepackaged_only == True", "to_skip_inspection", "仅销售预包装食品"),
    ("gw_inspect", "inspect", None, "to_inspect", "需要"), ("inspect", "audit"), ("audit", "decide"),
    ("decide", "gw_grant"), ("gw_grant", "deliver_denial", "approved == False", "to_deny", "否"),
    ("gw_grant", "issue", None, "to_issue", "是"), ("issue", "end_granted"), ("deliver_denial", "end_denied"),
    ("review_timer", "remind"), ("remind", "end_reminded")],
    [dict(id="review_timer", name="审查满3天提醒", on="review", duration="P3D")])

FLOWS["public_place_hygiene_license"] = ("公共场所卫生许可", [
    start(),
    user("accept", "受理", 1, 0, "window", 5, stage="accept", docs=["受理通知书", "补正告知书", "不予受理决定书"]),
    user("review", "材料审查", 2, 0, "handle", 5),
    user("hygiene_test", "卫生检测", 3, 0, "handle", 15, special="检测", docs=["检测告知书"]),
    user("audit", "审核", 4, 0, "review", 3),
    user("decide", "审批决定", 5, 0, "approve", 2, stage="decide", docs=["准予许可决定书", "不予许可决定书"]),
    xor("gw_grant", "准予许可？", 6, 0, default="to_issue"),
    user("issue", "制证发证", 7, 0, "window", 10, stage="deliver", docs=["公共场所卫生许可证", "送达回证"]),
    end("end_granted", "准予许可", 8, 0),
    user("deliver_denial", "送达不予许可决定", 7, 1, "window", 2, stage="deliver", docs=["送达回证"]),
    end("end_denied", "不予许可", 8, 1),
], [("start", "accept"), ("accept", "review"), ("review", "hygiene_test"), ("hygiene_test", "audit"),
    ("audit", "decide"), ("decide", "gw_grant"), ("gw_grant", "deliver_denial", "approved == False", "to_deny", "否"),
    ("gw_grant", "issue", None, "to_issue", "是"), ("issue", "end_granted"), ("deliver_denial", "end_denied")])

FLOWS["construction_permit"] = ("建筑工程施工许可证核发", [
    start(),
    user("accept", "受理", 1, 0, "window", 1, stage="accept", docs=["受理通知书", "补正告知书", "不予受理决定书"]),
    xor("gw_small", "限额以下小型工程？", 2, 0, default="to_review"),
    user("notify_exempt", "告知无需办理", 3, 1, "window", 1, stage="deliver", docs=["告知书"]),
    end("end_exempt", "无需办理", 4, 1),
    user("review", "审查", 3, 0, "handle", 3),
    user("decide", "批准", 4, 0, "approve", 2, stage="decide", docs=["准予许可决定书", "不予许可决定书"]),
    xor("gw_grant", "准予许可？", 5, 0, default="to_issue"),
    user("issue", "发证", 6, 0, "window", 1, stage="deliver", docs=["建筑工程施工许可证", "送达回证"]),
    end("end_granted", "准予许可", 7, 0),
    user("deliver_denial", "送达不予许可决定", 6, 1, "window", 1, stage="deliver", docs=["送达回证"]),
    end("end_denied", "不予许可", 7, 1),
], [("start", "accept"), ("accept", "gw_small"),
    ("gw_small", "notify_exempt", "contract_amount <= 300000 or floor_area <= 300", "to_exempt", "≤30万元或≤300㎡"),
    ("gw_small", "review", None, "to_review", "否"), ("notify_exempt", "end_exempt"), ("review", "decide"),
    ("decide", "gw_grant"), ("gw_grant", "deliver_denial", "approved == False", "to_deny", "否"),
    ("gw_grant", "issue", None, "to_issue", "是"), ("issue", "end_granted"), ("deliver_denial", "end_denied")])

# 行政处罚一般程序 (行政处罚法 2021). After 事先告知 (arts. 44-45) the party has five days to state a
# defence or ask for a hearing (art. 63); art. 85: those days are 工作日, statutory holidays excluded.
# The registration step waits for the party's answer; its interrupting timer ends the wait at the
# end of the fifth working day after the notice (the day of notice not counted). A hearing is
# noticed at least seven working days ahead (art. 64(二)); its time does not count against the
# 90 days from 立案 (art. 60; 市场监督管理行政处罚程序规定 art. 64). No decision before the party was
# heard (art. 62): checkpoint A041 refuses it, A042 refuses a hearing noticed too late.
STATEMENT_PERIOD_END = '(add_workdays(today(), 5) + timedelta(days=1)).isoformat() + "T00:00:00+08:00"'

FLOWS["administrative_penalty_general"] = ("行政处罚一般程序", [
    start(),
    user("file", "立案", 1, 0, "approve", 7, stage="accept", docs=["立案审批表"]),
    user("investigate", "调查取证", 2, 0, "handle", 60, unit="day", docs=["现场检查笔录", "询问笔录"],
         risk=("选择性执法", "执法风险", "两名执法人员共同调查、全程记录")),
    user("legal_review", "法制审核", 3, 0, "legal", 5),
    user("notify", "事先告知（送达行政处罚事先告知书）", 4, 0, "handle", 3, docs=["行政处罚事先告知书", "送达回证"]),
    user("statement", "当事人陈述申辩/听证申请登记", 5, 0, "handle", 5),
    xor("gw_hearing", "当事人申请听证？", 6, 0, default="to_decide"),
    user("hearing_notice", "听证通知", 7, 1, "handle", 3, special="听证", docs=["听证通知书", "送达回证"]),
    user("hearing", "听证", 8, 1, "handle", 15, special="听证", docs=["听证笔录"],
         risk=("听证走过场", "执法风险", "非本案调查人员主持，全程记录，当事人可以申请回避")),
    script("statement_expired", "陈述申辩期满未提出", 7, 2,
           "statement_period_expired = True"),
    user("decide", "处罚决定", 9, 0, "approve", 5, stage="decide", docs=["行政处罚决定书"],
         risk=("滥用裁量权", "廉政风险", "对照裁量基准，超出范围须说明理由并集体讨论")),
    user("deliver", "送达", 10, 0, "handle", 7, stage="deliver", docs=["送达回证"]),
    user("execute", "执行", 11, 0, "handle", 15),
    end("end_executed", "执行完毕", 12, 0),
], [("start", "file"), ("file", "investigate"), ("investigate", "legal_review"), ("legal_review", "notify"),
    ("notify", "statement"), ("statement", "gw_hearing"),
    ("gw_hearing", "hearing_notice", "hearing_requested == True", "to_hearing", "申请听证"),
    ("gw_hearing", "decide", None, "to_decide", "未申请听证"), ("hearing_notice", "hearing"), ("hearing", "decide"),
    ("statement_timer", "statement_expired"), ("statement_expired", "decide"),
    ("decide", "deliver"), ("deliver", "execute"), ("execute", "end_executed")],
    [dict(id="statement_timer", name="告知后满5个工作日", on="statement", date=STATEMENT_PERIOD_END, interrupting=True)])

# 政府信息公开条例 (2019) and seed 001 规程: the office reviews the request and hands it to the bodies
# holding the information (each answers within 5 working days, art. 8), reviews secrecy, drafts the
# 答复书, asks the bodies to comment within 2 (art. 10), the head approves, the 答复书 is delivered.
# An answer that needs no body (arts. 36(一)(五)(六)(七), 39, 35) goes straight to the draft. 补正,
# 第三方意见 and 延期 are operations on the case (engine.disclosure.service); the whole period is 20
# working days from receipt (art. 33). The office is the disclosure office of the body asked
# (谁制作谁公开、谁保存谁公开: seed 001 制度 art. 4), named by the case's data.
FLOWS["government_information_request"] = ("政府信息公开申请", [
    start(),
    user("review", "审查并交办", 1, 0, "handle", 3, dept="data:office", stage="accept"),
    xor("gw_route", "交办承办部门？", 2, 0, default="to_draft"),
    user("body_answer", "承办部门书面答复", 3, 1, "handle", 5, dept="data:body", each=("bodies", "body")),
    user("secrecy", "保密审查", 4, 1, "review", 3, dept="data:office"),
    user("draft", "拟定答复书", 5, 0, "handle", 3, dept="data:office"),
    xor("gw_comment", "征求承办部门意见？", 6, 0, default="to_approve"),
    user("comment", "承办部门会签", 7, 1, "handle", 2, dept="data:body", each=("bodies", "body")),
    user("approve", "审定答复书", 8, 0, "approve", 2, dept="data:office", stage="decide", docs=["政府信息公开申请答复书"]),
    xor("gw_approved", "同意？", 9, 0, default="to_deliver"),
    user("deliver", "送达", 10, 0, "window", 2, dept="data:office", stage="deliver", docs=["送达回证"]),
    end("end_replied", "已答复", 11, 0),
], [("start", "review"), ("review", "gw_route"),
    ("gw_route", "body_answer", 'route == "assign"', "to_assign", "交办"),
    ("gw_route", "draft", None, "to_draft", "直接答复"),
    ("body_answer", "secrecy"), ("secrecy", "draft"), ("draft", "gw_comment"),
    ("gw_comment", "comment", 'route == "assign"', "to_comment", "征求意见"),
    ("gw_comment", "approve", None, "to_approve", "否"), ("comment", "approve"), ("approve", "gw_approved"),
    ("gw_approved", "draft", "approved == False", "to_revise", "退回修改"),
    ("gw_approved", "deliver", None, "to_deliver", "同意"), ("deliver", "end_replied")])

# seed 001 主动公开 art. 7 and art. 12: published within 15 working days of its making or change, after
# secrecy review and, where a third party is concerned, its opinion (the case's clock counts from
# the day the information was made or changed: engine.disclosure.publish).
FLOWS["proactive_publication"] = ("政府信息主动公开", [
    start(),
    user("draft", "拟稿", 1, 0, "handle", 2, dept="data:body_department"),
    user("secrecy", "保密审查", 2, 0, "review", 3, dept="data:body_department"),
    xor("gw_secrecy", "可以公开？", 3, 0, default="to_third"),
    end("end_withheld", "不予公开", 4, 2),
    xor("gw_third", "涉及第三方？", 4, 0, default="to_publish"),
    user("third_party", "征求第三方意见", 5, 1, "handle", 5, dept="data:body_department"),
    xor("gw_objection", "第三方意见", 6, 1, default="objection_overruled"),
    user("publish", "审核发布", 7, 0, "approve", 2, dept="data:body_department", stage="decide"),
    xor("gw_publish", "同意发布？", 8, 0, default="to_end"),
    end("end_published", "已公开", 9, 0),
], [("start", "draft"), ("draft", "secrecy"), ("secrecy", "gw_secrecy"),
    ("gw_secrecy", "end_withheld", "may_publish == False", "to_withhold", "不予公开"),
    ("gw_secrecy", "gw_third", None, "to_third", "可以公开"),
    ("gw_third", "third_party", "third_party != \"\"", "to_consult", "征求意见"),
    ("gw_third", "publish", None, "to_publish", "不涉及"),
    ("third_party", "gw_objection"),
    ("gw_objection", "end_withheld", "withhold == True", "objection_upheld", "不予公开"),
    ("gw_objection", "publish", None, "objection_overruled", "公开"),
    ("publish", "gw_publish"),
    ("gw_publish", "draft", "approved == False", "to_redraft", "退回修改"),
    ("gw_publish", "end_published", None, "to_end", "发布")])

FLOWS["supervise_order"] = ("电子监察督办", [
    start(),
    user("initiate", "发起督办", 1, 0, "supervise", 1, dept="jwjw", stage="accept", docs=["督办通知书"]),
    user("review", "审核", 2, 0, "approve", 2, dept="jwjw"),
    user("sign", "签收", 3, 0, "approve", 1, dept="data:supervised_department"),
    user("feedback", "反馈整改情况", 4, 0, "handle", 10, dept="data:supervised_department"),
    user("conclude", "督办结论", 5, 0, "supervise", 3, dept="jwjw", stage="decide"),
    end("end_concluded", "督办办结", 6, 0),
], [("start", "initiate"), ("initiate", "review"), ("review", "sign"), ("sign", "feedback"), ("feedback", "conclude"),
    ("conclude", "end_concluded")])

FLOWS["item_review"] = ("事项变更法制审核", [
    start(),
    user("declare", "申报", 1, 0, "design", 20, dept="xzfwzx", stage="accept"),
    user("legal_review", "法制审核", 2, 0, "legal", 10, dept="sfj", stage="decide"),
    xor("gw_approved", "审核通过？", 3, 0, default="to_publish"),
    end("end_approved", "审核通过", 4, 0),
], [("start", "declare"), ("declare", "legal_review"), ("legal_review", "gw_approved"),
    ("gw_approved", "declare", "approved == False", "to_revise", "退回修改"),
    ("gw_approved", "end_approved", None, "to_publish", "通过")])


if __name__ == "__main__":
    for key, (title, nodes, flows, *timers) in FLOWS.items():
        build(key, title, nodes, flows, timers[0] if timers else ())
        print(f"wrote processes/{key}.bpmn")
