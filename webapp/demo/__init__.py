"""The demo county (阳光县): organisation, staff, items and their flow charts. Loading it twice
changes nothing."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from engine import calendar, search
from engine.certificates import uscc_check_char
from engine.config import PROCESSES_DIR
from engine.organisation import ensure_department, ensure_post, ensure_region, ensure_user, publish_item
from engine.service import deploy_process
from forms.registry import sync_definitions
from rules.service import sync_catalogue

from .county import COUNTY, DEMO_PASSWORD, DEPARTMENTS, POST_NAMES, USERS
from .disclosure import load_guides
from .items import ITEMS
from .qa import load_library


def _org_code(seed: int) -> str:
    """A 9-character 组织机构代码 with its GB 11714 check digit."""
    base = f"{seed:08d}"
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    c = 11 - sum(int(d) * w for d, w in zip(base, weights)) % 11
    return base + {10: "X", 11: "0"}.get(c, str(c))


def credit_code(region_code: str, seed: int, prefix: str = "11") -> str:
    body = f"{prefix}{region_code[:6]}{_org_code(seed)}"
    return body + uscc_check_char(body)


@dataclass
class DemoResult:
    accounts: list[tuple[str, str, str, str, str]]  # staff_no, name, department, posts, roles
    created_users: int
    items: int
    definitions: list[str]


def load_demo(session: Session) -> DemoResult:
    calendar.seed_from_package(session)
    province = ensure_region(session, *COUNTY["province"], "province")
    city = ensure_region(session, *COUNTY["city"], "city", province)
    county = ensure_region(session, *COUNTY["county"], "county", city)
    depts = {}
    for i, (code, name, posts, phone) in enumerate(DEPARTMENTS, start=1):
        dept = ensure_department(session, code, name, county, credit_code(county.code, 1_593_000 + i * 17),
                                 phone=phone, address=f"{COUNTY['county'][1]}阳光大道{i * 8}号")
        depts[code] = (dept, {p: ensure_post(session, dept, p, POST_NAMES[p]) for p in posts})
    accounts, created = [], 0
    for staff_no, name, dept_code, post_codes, roles in USERS:
        dept, posts = depts[dept_code]
        _, new = ensure_user(session, staff_no, name, dept, DEMO_PASSWORD, [posts[p] for p in post_codes], roles)
        created += new
        accounts.append((staff_no, name, dept.name, "、".join(POST_NAMES[p] for p in post_codes), "、".join(roles)))
    sync_definitions(session)
    sync_catalogue(session)
    deployed = []
    for item in ITEMS:
        dept = depts[item["department"]][0]
        publish_item(session, item["code"], dept, item["fields"])
        path = PROCESSES_DIR / f"{item['fields']['process_key']}.bpmn"
        definition = deploy_process(session, path.read_bytes(), str(path.relative_to(PROCESSES_DIR.parent)),
                                    item_code=item["code"])
        deployed.append(f"{definition.process_key} v{definition.version}")
    load_library(session, {code: dept for code, (dept, _) in depts.items()})  # 统一分类 and 常见问题解答库
    load_guides(session)  # 政府信息公开指南 of every body with a disclosure office
    search.reindex_all(session)  # now that the flows say which items are internal (督办, 法制审核)
    return DemoResult(accounts, created, len(ITEMS), deployed)
