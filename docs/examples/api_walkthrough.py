#!/usr/bin/env python3
"""接口示例：通过阳光政务大厅接口（/api/v1）办完一件办件（只用 Python 标准库）。

A walkthrough for a department's system or script: receive an application of an item, work every
step of its flow to the end (签收, then 办理 with the step's form data), issue the documents the
steps produce and download every document of the case as .docx.

A token acts as one staff account, with that person's posts and authority, and every step it does
is recorded in the case's log under that person's name. A department system that works for several
people therefore holds one token per person (the administrator issues them) and uses, for each step,
the token of someone holding the step's post. Here they are given by post code::

    {"window": "shk_…", "handle": "shk_…", "approve": "shk_…"}

A department whose system works every step under one system account (an account the administrator
created holding all the department's posts) passes that one token with ``--token``.

用法::

    python api_walkthrough.py --url http://大厅地址 --tokens tokens.json --out 文书目录
    python api_walkthrough.py --url … --tokens tokens.json --item 015309300004 --data data.json
    python api_walkthrough.py --url … --token shk_…（部门系统账号的一个令牌）

``--data`` is a JSON file {step code: {form field: value}}: what each step fills in (the demo
建筑工程施工许可 values are the default). The applicant can be given with ``--applicant`` (a JSON file).
Exit codes: 0 the case finished and its documents were downloaded; 1 the hall refused something
(its Chinese reason is printed); 2 the hall could not be reached.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path

DEMO_ITEM = "015309300004"  # 建筑工程施工许可证核发（阳光县住房和城乡建设局）
DEMO_APPLICANT = {"name": "阳光县第一中学", "type": "3", "cert_type": "001", "cert_number": "91530930MA6N8X0Q31",
                  "contact_name": "李四", "phone": "13912345678"}
DEMO_DATA = {
    "accept": {"project_name": "阳光县第一中学教学楼", "builder": "阳光县第一中学", "builder_code": "91530930MA6N8X0Q31",
               "contractor": "云南建工集团有限公司", "site": "阳光县城关镇学府路 1 号", "contract_amount": 5000000,
               "floor_area": 3200, "planning_permit_no": "建字第530930202600012号"},
    "review": {"review_note": "材料齐全，符合法定条件。"},
}
# the documents a step produces, issued by whoever did the step (they are numbered once)
WANTED = ("acceptance_notice", "grant_decision", "denial_decision", "delivery_receipt")


class Refused(Exception):
    """The hall answered with a problem (application/problem+json)."""

    def __init__(self, status: int, problem: dict):
        self.status, self.problem = status, problem
        errors = "；".join(f"{k}：{'、'.join(v)}" for k, v in (problem.get("errors") or {}).items())
        super().__init__(f"{status} {problem.get('code')}：{problem.get('detail') or problem.get('title')}"
                         + (f"（{errors}）" if errors else ""))


class _EveryPost(dict):
    """The same hall (one token) whatever post a step names."""

    def __init__(self, hall):
        super().__init__(window=hall)
        self.hall = hall

    def get(self, _post, _default=None):
        return self.hall

    def __missing__(self, _post):
        return self.hall


class Hall:
    """The hall's API with one token."""

    def __init__(self, url: str, token: str, timeout: float = 60):
        self.url, self.token, self.timeout = url.rstrip("/"), token, timeout

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes, str]:
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status, response.read(), response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                problem = json.loads(raw.decode("utf-8"))
            except ValueError:
                problem = {"detail": raw.decode("utf-8", "replace")[:200]}
            raise Refused(exc.code, problem) from None

    def json(self, method: str, path: str, body: dict | None = None):
        return json.loads(self.request(method, path, body)[1].decode("utf-8"))

    def get(self, path: str):
        return self.json("GET", path)

    def post(self, path: str, body: dict | None = None):
        return self.json("POST", path, body if body is not None else {})


def say(text: str) -> None:
    print(text, flush=True)


def walk(url: str, tokens: dict[str, str], item_code: str, applicant: dict, data: dict, out: Path) -> dict:
    """Receive, work every step, issue and download the documents; returns the finished case."""
    halls = {post: Hall(url, token) for post, token in tokens.items() if post != "*"}
    if "*" in tokens:  # one token for every post
        halls = _EveryPost(Hall(url, tokens["*"]))
    for post, hall in halls.items():
        me = hall.get("/api/v1/me")
        say(f"岗位 {post}：令牌“{me['token']['name']}”代表 {me['name']}（{me['staff_no']}）")
    window = halls["window"]
    item = window.get(f"/api/v1/items/{item_code}")
    say(f"事项：{item['name']}（{item['code']}），承诺时限 {item['promised_limit']} 个工作日")
    case = window.post("/api/v1/cases", {
        "item_code": item_code, "applicant": applicant, "request_id": uuid.uuid4().hex,
        "materials": list(range(1, len(item["materials"]) + 1))})  # every material of the list received
    say(f"已收件：办件编号 {case['number']}")
    issued: set[str] = set()
    for _ in range(50):  # a flow has far fewer steps; a loop that never ends is a refusal, not a hang
        case = window.get(f"/api/v1/cases/{case['id']}")
        if case["state"] != "received" and case["state"] != "accepted":
            break
        ready = [t for t in window.get(f"/api/v1/cases/{case['id']}/tasks") if t["state"] == "ready"]
        if not ready:
            raise Refused(409, {"code": "no_step", "detail": "办件没有可以办理的环节。"})
        task = ready[0]
        hall = halls.get(task["post_code"])
        if hall is None:
            raise Refused(403, {"code": "no_token", "detail": f"没有“{task['post_code']}”岗位的令牌，不能办理“{task['step_name']}”。"})
        step = hall.get(f"/api/v1/tasks/{task['id']}")
        if step["assignee_id"] is None:
            step = hall.post(f"/api/v1/tasks/{task['id']}/claim", {"expected_version": step["case_version"]})
        writable = {f["name"] for f in step["form_fields"] if f["access"] == "write"}
        fill = {k: v for k, v in data.get(task["step_id"], {}).items() if k in writable}
        hall.post(f"/api/v1/tasks/{task['id']}/complete", {
            "data": fill, "opinion": "同意。", "approved": True, "expected_version": step["case_version"]})
        say(f"已办理：{task['step_name']}（{step['assignee_name']}）")
        offered = hall.get(f"/api/v1/cases/{case['id']}/documents")["offered"]
        for kind in WANTED:
            if kind in offered and kind not in issued:
                document = hall.post(f"/api/v1/cases/{case['id']}/documents", {"kind": kind})
                issued.add(kind)
                say(f"已出具：{document['title']} {document['number']}")
    if case["state"] != "finished":
        raise Refused(409, {"code": "not_finished", "detail": f"办件未办结（状态：{case['state_name']}）。"})
    say(f"已办结：{case['result'] or case['state_name']}")
    out.mkdir(parents=True, exist_ok=True)
    for document in window.get(f"/api/v1/cases/{case['id']}/documents")["documents"]:
        _status, content, _type = window.request("GET", document["download"])
        target = out / f"{document['title']}-{document['number']}.docx"
        target.write_bytes(content)
        say(f"已下载：{target.name}（{len(content)} 字节）")
    events = window.get(f"/api/v1/cases/{case['id']}/events")
    say("时间线：" + " → ".join(e["action_name"] for e in events))
    return case


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="通过阳光政务大厅接口办完一件办件。")
    parser.add_argument("--url", required=True, help="大厅地址，如 http://10.0.0.5:8000")
    given = parser.add_mutually_exclusive_group(required=True)
    given.add_argument("--tokens", type=Path, help="各岗位的令牌：JSON 文件 {岗位代码: 令牌}")
    given.add_argument("--token", help="一个令牌办理所有环节（部门系统账号持有本部门各岗位）")
    parser.add_argument("--item", default=DEMO_ITEM, help="事项编码")
    parser.add_argument("--applicant", type=Path, help="申请人：JSON 文件")
    parser.add_argument("--data", type=Path, help="各环节填写的表单数据：JSON 文件 {环节代码: {字段: 值}}")
    parser.add_argument("--out", type=Path, default=Path("文书"), help="下载文书的目录")
    args = parser.parse_args(argv)
    tokens = {"*": args.token} if args.token else json.loads(args.tokens.read_text(encoding="utf-8"))
    applicant = json.loads(args.applicant.read_text(encoding="utf-8")) if args.applicant else DEMO_APPLICANT
    data = json.loads(args.data.read_text(encoding="utf-8")) if args.data else DEMO_DATA
    if "window" not in tokens and "*" not in tokens:
        say("缺少窗口受理岗位（window）的令牌。")
        return 1
    try:
        walk(args.url, tokens, args.item, applicant, data, args.out)
    except Refused as exc:
        say(f"大厅拒绝了请求：{exc}")
        return 1
    except OSError as exc:
        say(f"无法连接大厅：{exc}")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
