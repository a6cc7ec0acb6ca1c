"""The item catalogue (事项库): item codes by the coding rule, the completeness check that says
exactly what an item lacks before it can be published, and comparing two versions field by field."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .errors import InvalidInput
from .models import Case, Item, ItemVersion, ProcessDefinition
from .models.items import ITEM_CATEGORIES, LIMIT_UNITS, SUBJECT_NATURES
from .organisation import publish_item

LABELS = {
    "name": "事项名称", "category": "事项分类", "case_type": "办件类型", "legal_basis": "行使依据",
    "subject_nature": "办理主体性质", "entrusting_unit": "委托单位", "section": "办理科室", "conditions": "受理条件",
    "charges_fee": "是否收费", "fee_basis": "收费依据", "fee_standard": "收费标准", "legal_limit": "法定期限",
    "promised_limit": "承诺期限", "limit_unit": "期限单位", "extension_limit": "可延长期限",
    "correction_notice_limit": "补正告知期限", "place": "办理地点", "phone": "联系电话", "supervision_phone": "监督电话",
    "online_url": "在线办理链接", "materials": "材料清单", "service_forms": "服务表格", "faq": "常见问题解答",
    "extra": "分类特有信息", "process_key": "权力运行流程图",
}
# fields a category must add (domain.md §2): 处罚, 征收, 强制
CATEGORY_EXTRA = {"02": ("处罚种类", "处罚程序", "实施主体", "裁量基准"), "04": ("征收标准", "征收程序"), "03": ("强制程序",)}


def item_code(session: Session, category: str, region_code: str) -> str:
    """Basic item code (12): item type (2) + the county's division code (6) + a serial (4)."""
    if category not in ITEM_CATEGORIES:
        raise InvalidInput(f"事项分类 {category} 无效。", field="category")
    prefix = f"{category}{region_code[:6]}"
    taken = session.scalars(select(Item.code).where(Item.code.like(f"{prefix}%"))).all()
    serial = max((int(c[8:12]) for c in taken if c[8:12].isdigit()), default=0) + 1
    return f"{prefix}{serial:04d}"


def missing_fields(session: Session, fields: dict) -> list[str]:
    """What an item lacks before it can be published, as the labels a designer sees."""
    lacking = []

    def need(name, ok):
        if not ok:
            lacking.append(LABELS.get(name, name))

    need("name", (fields.get("name") or "").strip())
    need("category", fields.get("category") in ITEM_CATEGORIES)
    basis = fields.get("legal_basis") or []
    need("legal_basis", basis and all((b.get("title") or "").strip() for b in basis))
    need("subject_nature", fields.get("subject_nature") in SUBJECT_NATURES)
    if fields.get("subject_nature") == "受委托单位":
        need("entrusting_unit", (fields.get("entrusting_unit") or "").strip())
    need("section", (fields.get("section") or "").strip())
    need("conditions", (fields.get("conditions") or "").strip())
    if fields.get("charges_fee"):
        need("fee_basis", (fields.get("fee_basis") or "").strip())
        need("fee_standard", (fields.get("fee_standard") or "").strip())
    for name in ("legal_limit", "promised_limit"):
        need(name, isinstance(fields.get(name), int) and fields[name] >= 0)
    if isinstance(fields.get("legal_limit"), int) and isinstance(fields.get("promised_limit"), int) \
            and fields["promised_limit"] > fields["legal_limit"]:
        lacking.append("承诺期限不能超过法定期限")
    need("limit_unit", fields.get("limit_unit") in LIMIT_UNITS)
    for name in ("place", "phone", "supervision_phone"):
        need(name, (fields.get(name) or "").strip())
    materials = fields.get("materials") or []
    need("materials", materials and all((m.get("name") or "").strip() for m in materials))
    for extra in CATEGORY_EXTRA.get(fields.get("category"), ()):
        if not (fields.get("extra") or {}).get(extra):
            lacking.append(f"{LABELS['extra']}：{extra}")
    key = fields.get("process_key")
    need("process_key", key and session.scalar(select(func.count()).select_from(ProcessDefinition)
                                               .where(ProcessDefinition.process_key == key)))
    return lacking


@dataclass(frozen=True)
class Difference:
    field: str
    label: str
    old: object
    new: object


def compare_versions(a: ItemVersion, b: ItemVersion) -> list[Difference]:
    """Every field that differs between two versions, in the catalogue's order."""
    out = []
    for name, label in LABELS.items():
        old, new = getattr(a, name), getattr(b, name)
        if old != new:
            out.append(Difference(name, label, old, new))
    return out


def running_cases_by_version(session: Session, process_key: str) -> dict[int, int]:
    """{definition version: open cases still running on it}."""
    rows = session.execute(select(ProcessDefinition.version, func.count(Case.id))
                           .join(Case, Case.definition_id == ProcessDefinition.id)
                           .where(ProcessDefinition.process_key == process_key, Case.state.in_(("received", "accepted")))
                           .group_by(ProcessDefinition.version)).all()
    return dict(rows)


def publish_checked(session: Session, code: str | None, department, fields: dict, region_code: str, actor=None) -> Item:
    """Publish a new version of an item (a new item when ``code`` is None), refused while the
    completeness check finds anything missing."""
    lacking = missing_fields(session, fields)
    if lacking:
        raise InvalidInput("事项信息不完整，不能发布。缺少：" + "、".join(lacking) + "。", missing=lacking)
    return publish_item(session, code or item_code(session, fields["category"], region_code), department, fields, actor)
