#!/usr/bin/env python3
"""部门业务系统报送示例：把一件办件及其环节、结果报送到阳光政务大厅（只用 Python 标准库）。

A reference client for departments that keep their own business system: it pushes one case (its
applicant, item, 受理, materials, steps with opinions and the result — seed 004 §4.3) to
``POST /api/v1/external/cases`` with an API token carrying the ``report`` verb. Reports are
idempotent by the case's 办件流水号: push the whole case again whenever something happens (at the
latest within 24 hours); Sunhall adds only what is new.

用法::

    python department_client.py --url http://大厅地址 --token shk_xxx case.json
    python department_client.py --url … --token … --external-id SPXK-2026-0001 --item 015309300002 \\
        --applicant 张三 --cert-type 111 --cert-number 11010519491231002X \\
        --received 2026-09-28T09:00:00+08:00 --step "review|审查|2026-09-28T09:30:00+08:00|2026-09-28T15:00:00+08:00|同意"

令牌也可以放在环境变量 SUNHALL_TOKEN 中。退出码：0 成功，1 被拒绝（打印中文原因），2 无法连接。
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request


def build_from_args(args: argparse.Namespace) -> dict:
    """A report from the command line (a JSON file says more: materials, results …)."""
    steps = []
    for i, text in enumerate(args.step or [], start=1):
        parts = (text.split("|") + [""] * 6)[:6]
        code, name, started, completed, opinion, handler = parts
        step = {"id": f"{args.external_id}-{i}", "code": code, "name": name, "started_at": started}
        if completed:
            step.update(completed_at=completed, opinion=opinion or None, approved=True)
        if handler:
            step["handler"] = handler
        steps.append({k: v for k, v in step.items() if v is not None})
    report = {
        "external_id": args.external_id, "item_code": args.item,
        "applicant": {"name": args.applicant, "cert_type": args.cert_type, "cert_number": args.cert_number},
        "received_at": args.received, "steps": steps,
    }
    if args.accepted:
        report["accepted_at"] = args.accepted
    if args.subject:
        report["subject"] = args.subject
    return report


def push(url: str, token: str, report: dict, timeout: float = 30) -> tuple[int, dict]:
    """POST the report; returns (HTTP status, JSON body). Raises OSError when the hall cannot be reached."""
    request = urllib.request.Request(
        url.rstrip("/") + "/api/v1/external/cases", data=json.dumps(report, ensure_ascii=False).encode("utf-8"),
        method="POST", headers={"Content-Type": "application/json; charset=utf-8", "Accept": "application/json",
                                "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:  # a refusal: problem+json with a Chinese detail
        body = exc.read().decode("utf-8", "replace")
        try:
            return exc.code, json.loads(body)
        except ValueError:
            return exc.code, {"detail": body[:500]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="向阳光政务大厅报送外部办件")
    parser.add_argument("file", nargs="?", help="办件 JSON 文件（格式见 docs/exchange.md）；不给出时用下面的参数")
    parser.add_argument("--url", required=True, help="大厅地址，如 http://10.1.2.3:8000")
    parser.add_argument("--token", default=os.environ.get("SUNHALL_TOKEN"), help="接口令牌（或环境变量 SUNHALL_TOKEN）")
    parser.add_argument("--external-id", help="办件流水号（本部门系统的办件编号）")
    parser.add_argument("--item", help="事项编码")
    parser.add_argument("--subject", help="办件事由")
    parser.add_argument("--applicant", help="申请人名称")
    parser.add_argument("--cert-type", default="111", help="证件类型（111 居民身份证，001 统一社会信用代码）")
    parser.add_argument("--cert-number", help="证件号码")
    parser.add_argument("--received", help="收件时间（ISO 8601）")
    parser.add_argument("--accepted", help="受理时间（ISO 8601）")
    parser.add_argument("--step", action="append", help="环节：编码|名称|开始时间|办理时间|意见|办理人（可重复）")
    args = parser.parse_args(argv)
    if not args.token:
        parser.error("请用 --token 或环境变量 SUNHALL_TOKEN 提供接口令牌")
    if args.file:
        with open(args.file, encoding="utf-8") as f:
            report = json.load(f)
    else:
        missing = [n for n in ("external_id", "item", "applicant", "cert_number", "received") if not getattr(args, n)]
        if missing:
            parser.error("缺少参数：" + "、".join("--" + n.replace("_", "-") for n in missing))
        report = build_from_args(args)
    try:
        status, body = push(args.url, args.token, report)
    except OSError as exc:
        print(f"无法连接大厅：{exc}", file=sys.stderr)
        return 2
    if status >= 400:
        print(f"报送被拒绝（HTTP {status}）：{body.get('detail') or body.get('title')}", file=sys.stderr)
        for field, messages in (body.get("errors") or {}).items():
            print(f"  {field}：{'；'.join(messages)}", file=sys.stderr)
        return 1
    what = "已建立" if status == 201 else ("已更新" if body.get("changed") else "无变化（重复报送）")
    print(f"{what}：大厅办件编号 {body['number']}，状态 {body['state_name']}，承诺办结日期 {body.get('deadline') or '—'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
