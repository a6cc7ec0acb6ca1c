"""The item catalogue (事项库): item codes by the coding rule, the completeness check that says
exactly what an item lacks before it can be published, and comparing two versions field by field."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import clock
from .errors import InvalidInput
from .models import Case, Department, Item, ItemChange, ItemVersion, ProcessDefinition, Region
from .models.items import ITEM_CATEGORIES, LIMIT_UNITS, SUBJECT_NATURES
from .organisation import publish_item
from .service import Applicant, start_case

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


REVIEW_ITEM = "105309300098"


def declare_change(session: Session, actor, fields: dict, reason: str, item_code_: str | None = None,
                   department=None) -> ItemChange:
    """申报: propose a new item or a new version; the legal office reviews it (a BPMN flow) before it
    is published. Refused at once while the completeness check finds anything missing."""
    if not (reason or "").strip():
        raise InvalidInput("请说明变更理由（法律法规或职能调整的依据）。", field="reason")
    lacking = missing_fields(session, fields)
    if lacking:
        raise InvalidInput("事项信息不完整，不能申报。缺少：" + "、".join(lacking) + "。", missing=lacking)
    item = None
    if item_code_:
        item = session.scalars(select(Item).where(Item.code == item_code_)).first()
        if item is None:
            raise InvalidInput(f"事项编码 {item_code_} 不存在。", field="item_code")
        department = item.department
    if department is None:
        raise InvalidInput("请选择办理部门。", field="department")
    change = ItemChange(item_id=item.id if item else None, department_id=department.id, fields=fields,
                        reason=reason.strip(), state="declared", created_at=clock.now(), created_by_id=actor.id)
    session.add(change)
    session.flush()
    review = start_case(session, REVIEW_ITEM, Applicant(name=department.name, type="6", cert_type="001",
                                                        cert_number=department.credit_code), actor,
                        subject=f"事项变更申报：{fields['name']}", data={"change_id": change.id})
    change.review_case_id = review.id
    session.flush()
    return change


def publish_on_approval(transition) -> None:
    """When a legal review ends approved, the change it reviewed becomes the item's new version."""
    if transition.action != "finish" or "change_id" not in (transition.case.data or {}):
        return
    change = transition.session.get(ItemChange, transition.case.data["change_id"])
    if change is None or change.state != "declared" or transition.case.result != "审核通过":
        return
    department = transition.session.get(Department, change.department_id)
    region = transition.session.get(Region, department.region_id)
    code = transition.session.get(Item, change.item_id).code if change.item_id else None
    item = publish_checked(transition.session, code, department, dict(change.fields), region.code, transition.actor)
    change.state, change.item_id, change.published_version_id = "published", item.id, item.current_version_id
