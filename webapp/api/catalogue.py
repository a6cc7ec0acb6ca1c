"""事项目录: the published catalogue, as the public column shows it (engine.service.public)."""

from __future__ import annotations

from engine.models import Department, Item, ItemVersion
from engine.service import public

from ..db import db_session
from .auth import require
from .common import READ_PROBLEMS, ApiBlueprint, envelope
from .problems import abort_problem
from .schemas import ItemDetailOut, ItemOut, ItemQuery, page_of

blp = ApiBlueprint("api_items", __name__, url_prefix="/items", description="事项目录（已发布的事项）")


def item_dict(item: Item) -> dict:
    v: ItemVersion = item.current_version
    department = db_session().get(Department, item.department_id)
    return {"code": item.code, "name": v.name, "category": v.category, "case_type": v.case_type,
            "department_id": item.department_id, "department_name": department.name if department else "",
            "version": v.version}


def item_detail(item: Item) -> dict:
    v: ItemVersion = item.current_version
    materials = [{"name": str(m.get("name", "")), "format": m.get("format"), "original": m.get("original"),
                  "count": m.get("count") if isinstance(m.get("count"), int) else None,
                  "required": m.get("required") if isinstance(m.get("required"), bool) else None}
                 for m in (v.materials or []) if isinstance(m, dict)]
    return {**item_dict(item), "section": v.section, "conditions": v.conditions, "legal_limit": v.legal_limit,
            "promised_limit": v.promised_limit, "limit_unit": v.limit_unit, "extension_limit": v.extension_limit,
            "charges_fee": bool(v.charges_fee), "fee_standard": v.fee_standard, "place": v.place, "phone": v.phone,
            "supervision_phone": v.supervision_phone, "online_url": v.online_url,
            "legal_basis": [b for b in (v.legal_basis or []) if isinstance(b, dict)], "materials": materials,
            "aliases": [str(a) for a in (v.aliases or [])]}


@blp.route("", methods=["GET"])
@require("read")
@blp.arguments(ItemQuery, location="query")
@blp.response(200, page_of(ItemOut, "ItemPage"))
@blp.problems(*READ_PROBLEMS)
def list_items(args):
    """事项目录

    已发布、在用的事项（内部流程如督办、法制审核不在其中），按事项编码排序，可按关键词、实施部门和事项类型筛选。"""
    items = list(db_session().scalars(public.public_items_query(db_session())).unique())
    if args["department"]:
        items = [i for i in items if i.department_id == args["department"]]
    if args["category"]:
        items = [i for i in items if i.current_version.category == args["category"]]
    if args["q"]:
        q = args["q"]
        items = [i for i in items if q in i.code or q in i.current_version.name
                 or any(q in str(a) for a in (i.current_version.aliases or []))]
    page, per_page = args["page"], args["per_page"]
    chosen = items[(page - 1) * per_page: page * per_page]
    return envelope([item_dict(i) for i in chosen], len(items), page, per_page)


@blp.route("/<code>", methods=["GET"])
@require("read")
@blp.response(200, ItemDetailOut)
@blp.problems(*READ_PROBLEMS)
def get_item(code: str):
    """一个事项

    事项的办事指南要素：受理条件、时限、收费、申请材料、设定依据。"""
    item = public.public_item(db_session(), code)
    if item is None:
        abort_problem(404, "not_found", None, "事项不存在或未发布。")
    return item_detail(item)
