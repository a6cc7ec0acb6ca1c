"""Which case operations a case offers, and who may close a case nobody can work.

A citizen's application offers every operation of the law (补正, 特别程序, 延期, 不予受理, 撤回 …).
Work between offices — 电子监察督办, 事项变更法制审核 and any future internal flow — is not an
application: its flow chart says so on the process element (``sunhall:internal="true"``) and
lists the operations it offers (``sunhall:operations="complete,claim,return,transfer"``; without
the list an internal flow offers exactly these). Its cases are numbered in their own series, kept
out of the citizen worklists' statistics and print no citizen documents.

Every command asks here, in the service, before it changes anything; pages only hide what the
service would refuse anyway.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..bpmn.parser import BPMN_NS
from ..bpmn.xmlsafe import parse_xml
from ..errors import InvalidState, PermissionDenied
from ..models import Case, ProcessDefinition, User

SUNHALL_NS = "urn:sunhall:bpmn:1.0"

OPERATIONS = {
    "complete": "办理", "claim": "签收", "return": "退回", "transfer": "转办",
    "correction": "补正告知", "return_to_applicant": "退回申请人", "suspend": "特别程序", "extend": "延期",
    "reject": "不予受理", "withdraw": "撤回", "document": "出具文书",
}
INTERNAL_DEFAULT = frozenset({"complete", "claim", "return", "transfer"})


@dataclass(frozen=True)
class FlowKind:
    internal: bool
    operations: frozenset[str]


CITIZEN = FlowKind(False, frozenset(OPERATIONS))
_kinds: dict[tuple[int, str], FlowKind] = {}


def flow_kind(session: Session, definition_id: int) -> FlowKind:
    """What the flow chart of a definition version declares (read once per version)."""
    key = (definition_id, str(session.get_bind().url))
    if key not in _kinds:
        definition = session.get(ProcessDefinition, definition_id)
        _kinds[key] = _declared(definition.bpmn_xml) if definition is not None else CITIZEN
    return _kinds[key]


def _declared(xml: str | bytes) -> FlowKind:
    root = parse_xml(xml.encode("utf-8") if isinstance(xml, str) else xml, max_bytes=len(xml) * 4 + 1)
    for process in root.iter(f"{{{BPMN_NS}}}process"):
        if process.get(f"{{{SUNHALL_NS}}}internal", "").strip().lower() != "true":
            continue
        listed = process.get(f"{{{SUNHALL_NS}}}operations")
        ops = INTERNAL_DEFAULT if listed is None else frozenset(
            o.strip() for o in listed.split(",") if o.strip() in OPERATIONS)
        return FlowKind(True, ops)
    return CITIZEN


def internal_definitions(session: Session) -> list[int]:
    """The definition versions of internal flows: statistics of the citizens' cases leave them out."""
    return [i for i in session.scalars(select(ProcessDefinition.id)) if flow_kind(session, i).internal]


def is_internal(session: Session, case: Case) -> bool:
    return flow_kind(session, case.definition_id).internal


def offers(session: Session, case: Case, operation: str) -> bool:
    return operation in flow_kind(session, case.definition_id).operations


def require_operation(session: Session, case: Case, operation: str) -> None:
    """Refuse an operation the case's flow does not offer (a 督办 order is not an application:
    it has no 补正, no 不予受理, no 撤回 by the supervised unit, no 受理通知书)."""
    if not offers(session, case, operation):
        raise InvalidState(f"“{case.subject or case.number}”是内部流程，不适用“{OPERATIONS[operation]}”。")


def may_close_without_step(actor: User, case: Case) -> bool:
    """A case whose flow left it without a step anybody can work is closed only by the leader of
    its department (with a reason), never by whoever happens to see it."""
    return "leader" in (actor.roles or []) and actor.department_id == case.department_id


def require_may_close_without_step(actor: User, case: Case) -> None:
    if not may_close_without_step(actor, case):
        raise PermissionDenied("此办件没有可办理的环节，只有本部门负责人可以填写理由后结束办理。")


def is_staff(actor) -> bool:
    """A signed-in, active member of staff (not the web applicant, not a disabled account)."""
    return isinstance(actor, User) and actor.active


def sees_all(actor) -> bool:
    """Supervisors (纪委监委 check how every office works) and administrators read every office's records."""
    return is_staff(actor) and (actor.has_role("supervisor") or actor.has_role("admin"))

