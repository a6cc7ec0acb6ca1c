"""The item catalogue (事项库): item codes by the coding rule, the completeness check that says
exactly what an item lacks before it can be published, and comparing two versions field by field."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import clock, search, systemlog
from .catalogue_fields import CATEGORY_EXTRA, LABELS, _checked, _reason
from .catalogue_fields import checked_fields as checked_fields  # re-exported: the tests import it
from .errors import InvalidInput, InvalidState, NotFound, PermissionDenied
from .models import Case, CaseTask, Department, Item, ItemChange, ItemVersion, ProcessDefinition, Region
from .models.items import (
    ITEM_CATEGORIES,
    ITEM_STATUSES,
    LIMIT_UNITS,
    SUBJECT_NATURES,
)
from .organisation import publish_item
from .service import Applicant, check_process, complete_task, deploy_process, public, start_case


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


def public_notes(session: Session, fields: dict) -> list[str]:
    """What the public column (政务服务专栏) will miss for an item, said to the designer but not
    required to publish (table A1 does not list them): without an audience the item is not under
    个人办事/法人办事, without a theme not under a life event, without 俗称 a search for the words
    people say finds it only by its official name. Internal flows (督办, 法制审核) are never public."""
    if fields.get("process_key") in public.internal_keys(session):
        return []
    notes = []
    if not fields.get("audiences"):
        notes.append("未选择面向对象：事项不会出现在“个人办事”“法人办事”栏目中")
    elif not fields.get("themes"):
        notes.append("未选择办事主题：事项不会出现在按主题办事的列表中")
    if not fields.get("aliases"):
        notes.append("未填写俗称：群众按常用说法（如“开饭店”）搜索时可能找不到本事项")
    return notes


@dataclass(frozen=True)
class Difference:
    field: str
    label: str
    old: object
    new: object


def fields_of(version: ItemVersion | None) -> dict:
    """An item version's fields as a dict (what declare_change and publish_checked take)."""
    return {name: getattr(version, name) for name in LABELS} if version is not None else {}


# fields added after items were first published: a change declared before them holds none of them
LATER_DEFAULTS = {"aliases": [], "audiences": [], "themes": [], "results_public": False}


def _value(fields_: dict, name: str):
    value = fields_.get(name)
    return LATER_DEFAULTS[name] if value is None and name in LATER_DEFAULTS else value


def compare_fields(old: dict, new: dict) -> list[Difference]:
    """Every field that differs between two sets of item fields, in the catalogue's order."""
    return [Difference(name, label, _value(old, name), _value(new, name)) for name, label in LABELS.items()
            if _value(old, name) != _value(new, name)]


def compare_versions(a: ItemVersion, b: ItemVersion) -> list[Difference]:
    """Every field that differs between two versions."""
    return compare_fields(fields_of(a), fields_of(b))


def running_cases_by_version(session: Session, process_key: str) -> dict[int, int]:
    """{definition version: open cases still running on it}."""
    rows = session.execute(select(ProcessDefinition.version, func.count(Case.id))
                           .join(Case, Case.definition_id == ProcessDefinition.id)
                           .where(ProcessDefinition.process_key == process_key, Case.state.in_(("received", "accepted")))
                           .group_by(ProcessDefinition.version)).all()
    return dict(rows)


def publish_checked(session: Session, code: str | None, department, fields: dict, region_code: str, actor=None) -> Item:
    """Publish a new version of an item (a new item when ``code`` is None), refused while the
    completeness check finds anything missing or the fields check finds a value out of bounds
    (checked again at publishing: a change stored before these checks may hold one)."""
    fields = _checked(fields, "不能发布")
    lacking = missing_fields(session, fields)
    if lacking:
        raise InvalidInput("事项信息不完整，不能发布。缺少：" + "、".join(lacking) + "。", missing=lacking)
    return publish_item(session, code or item_code(session, fields["category"], region_code), department, fields, actor)


REVIEW_ITEM = "105309300098"


def _start_review(session: Session, change: ItemChange, department: Department, actor, subject: str) -> None:
    """The legal review of a change is a case of the internal item 事项变更法制审核: its first step
    (申报, the declarer's) and the legal office's step have their limits watched like any other."""
    review = start_case(session, REVIEW_ITEM, Applicant(name=department.name, type="6", cert_type="001",
                                                        cert_number=department.credit_code), actor,
                        subject=subject, data={"change_id": change.id})
    change.review_case_id = review.id
    session.flush()


def _find_item(session: Session, code: str) -> Item:
    item = session.scalars(select(Item).where(Item.code == code)).first()
    if item is None:
        raise InvalidInput(f"事项编码 {code} 不存在。", field="item_code")
    return item


def require_designer(actor) -> None:
    """Changing the catalogue (事项 and 流程图) is the designers' work; the service checks it, not
    only the pages."""
    if actor is None or not actor.has_role("designer"):
        raise PermissionDenied("只有流程设计人员可以申报事项或流程图的变更。")


def _log(session: Session, actor, change: ItemChange, what: str, name: str) -> None:
    systemlog.record(session, actor=actor, action="catalogue.changed", target=f"{what}：{name}"[:200],
                     detail={"change": change.id, "kind": CHANGE_KINDS.get(change.kind, "事项信息")})


CHANGE_KINDS = {"item": "事项信息", "flow": "流程图", "status": "事项状态"}


def declare_change(session: Session, actor, fields: dict, reason: str, item_code_: str | None = None,
                   department=None) -> ItemChange:
    """申报: propose a new item or a new version; the legal office reviews it (a BPMN flow) before it
    is published. Refused at once while the completeness check finds anything missing."""
    require_designer(actor)
    if not (reason or "").strip():
        raise InvalidInput("请说明变更理由（法律法规或职能调整的依据）。", field="reason")
    reason = _reason(reason)
    fields = _checked(fields, "不能申报")
    lacking = missing_fields(session, fields)
    if lacking:
        raise InvalidInput("事项信息不完整，不能申报。缺少：" + "、".join(lacking) + "。", missing=lacking)
    item = None
    if item_code_:
        item = _find_item(session, item_code_)
        department = item.department
        if item.status == "cancelled":
            raise InvalidState("事项已注销，不能再变更。")
    if department is None:
        raise InvalidInput("请选择办理部门。", field="department")
    change = ItemChange(item_id=item.id if item else None, department_id=department.id, fields=fields,
                        reason=reason.strip(), state="declared", created_at=clock.now(), created_by_id=actor.id)
    session.add(change)
    session.flush()
    _log(session, actor, change, "申报事项变更", fields.get("name", ""))
    _start_review(session, change, department, actor, f"事项变更申报：{fields['name']}")
    return change


def declare_status(session: Session, actor, item_code_: str, status: str, reason: str) -> ItemChange:
    """暂停、恢复或注销一个事项, after the legal office agrees."""
    require_designer(actor)
    if not isinstance(status, str) or status not in ITEM_STATUSES:
        raise InvalidInput("请从事项状态的选项中选择。", field="status")
    if not (reason or "").strip():
        raise InvalidInput("请说明理由（法律法规或职能调整的依据）。", field="reason")
    reason = _reason(reason)
    item = _find_item(session, item_code_)
    if item.status == "cancelled":
        raise InvalidState("事项已注销，不能再变更。")
    if item.status == status:
        raise InvalidState(f"事项已是“{ITEM_STATUSES[status]}”状态。")
    change = ItemChange(item_id=item.id, department_id=item.department_id, kind="status", fields={"status": status},
                        reason=reason.strip(), state="declared", created_at=clock.now(), created_by_id=actor.id)
    session.add(change)
    session.flush()
    _log(session, actor, change, f"申报{ITEM_STATUSES[status]}", item.current_version.name)
    _start_review(session, change, item.department, actor,
                  f"事项{ITEM_STATUSES[status] if status != 'active' else '恢复'}申报：{item.current_version.name}")
    return change


def item_for_process(session: Session, process_key: str) -> Item | None:
    return session.scalars(select(Item).join(ItemVersion, ItemVersion.id == Item.current_version_id)
                           .where(ItemVersion.process_key == process_key)).first()


def open_flow_change(session: Session, process_key: str) -> ItemChange | None:
    return session.scalars(select(ItemChange).where(ItemChange.kind == "flow", ItemChange.process_key == process_key,
                                                    ItemChange.state == "declared")).first()


def declare_task(session: Session, change: ItemChange) -> CaseTask | None:
    """The open 申报 step of a change's review: while it is open, the change is the declarer's."""
    return session.scalars(select(CaseTask).where(CaseTask.case_id == change.review_case_id,
                                                  CaseTask.step_id == "declare", CaseTask.state == "ready")).first()


def save_flow(session: Session, actor, process_key: str, data: bytes) -> ItemChange:
    """Save the designer's flow chart as the draft of a flow change. The server checks it in full
    first (ProcessInvalid lists each problem with its element). The first save opens the legal
    review (its 申报 step is the designer's); while that step is open the draft may be saved again."""
    require_designer(actor)
    item = item_for_process(session, process_key)
    result = check_process(session, data, f"{process_key}.bpmn", item)
    if result.process_id != process_key:
        raise InvalidInput(f"流程标识应为 {process_key}，文件中的流程是 {result.process_id}。", field="process_id")
    change = open_flow_change(session, process_key)
    if change is not None:
        if declare_task(session, change) is None:
            raise InvalidState("流程变更已提交法制审核，审核期间不能修改。")
        change.bpmn_xml = data.decode("utf-8")
        session.flush()
        return change
    department = item.department if item else session.get(Department, actor.department_id)
    change = ItemChange(item_id=item.id if item else None, department_id=department.id, kind="flow", fields={},
                        bpmn_xml=data.decode("utf-8"), process_key=process_key, reason="", state="declared",
                        created_at=clock.now(), created_by_id=actor.id)
    session.add(change)
    session.flush()
    _log(session, actor, change, "保存流程图草稿", result.name or process_key)
    _start_review(session, change, department, actor, f"流程图变更申报：{result.name or process_key}")
    return change


def submit_change(session: Session, actor, change_id: int, reason: str) -> ItemChange:
    """提交: the declarer completes the 申报 step, sending the change to the legal office."""
    change = session.get(ItemChange, change_id)
    if change is None or change.state != "declared":
        raise NotFound("没有待提交的变更申报。")
    if not (reason or "").strip() and not change.reason:
        raise InvalidInput("请说明变更理由（法律法规或职能调整的依据）。", field="reason")
    task = declare_task(session, change)
    if task is None:
        raise InvalidState("变更已提交法制审核，请等待审核结果。")
    if (reason or "").strip():
        change.reason = reason.strip()
    complete_task(session, task.id, actor, opinion=change.reason, approved=True)
    return change


def publish_on_approval(transition) -> None:
    """When a legal review ends approved, the change it reviewed is applied: a new item version,
    a new flow version, or the item's new status."""
    if transition.action != "finish" or "change_id" not in (transition.case.data or {}):
        return
    session = transition.session
    change = session.get(ItemChange, transition.case.data["change_id"])
    if change is None or change.state != "declared" or transition.case.result != "审核通过":
        return
    if change.kind == "flow":
        item = session.get(Item, change.item_id) if change.item_id else None
        definition = deploy_process(session, change.bpmn_xml.encode("utf-8"), f"{change.process_key}.bpmn",
                                    transition.actor, item.code if item else None)
        if item is not None and definition.item_id is None:
            definition.item_id = item.id
        if item is not None:
            search.refresh_item(session, item)  # a flow may make an item internal, or public again
    elif change.kind == "status":
        item = session.get(Item, change.item_id)
        item.status = change.fields["status"]
        session.info["items_changed"] = True  # the rules' item caches re-read after commit
        search.refresh_item(session, item)  # a suspended or cancelled item leaves the public search
    else:
        department = session.get(Department, change.department_id)
        region = session.get(Region, department.region_id)
        code = session.get(Item, change.item_id).code if change.item_id else None
        item = publish_checked(session, code, department, dict(change.fields), region.code, transition.actor)
        change.item_id, change.published_version_id = item.id, item.current_version_id
        search.refresh_item(session, item)  # new name, 俗称, 主题 …
    change.state = "published"
    session.flush()
