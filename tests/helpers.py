"""Small helpers that keep the case tests reading like the clerk's story."""

from __future__ import annotations

from sqlalchemy import select

from engine.models import Case, CaseEvent, CaseTask
from engine.service import complete_task


def open_steps(database, case_id: int) -> list[str]:
    with database.transaction(write=False) as s:
        return sorted(s.scalars(select(CaseTask.step_id).where(CaseTask.case_id == case_id, CaseTask.state == "ready")))


def task_id(database, case_id: int, step_id: str) -> int:
    with database.transaction(write=False) as s:
        return s.scalars(select(CaseTask.id).where(CaseTask.case_id == case_id, CaseTask.step_id == step_id,
                                                   CaseTask.state == "ready")).one()


def get_case(database, case_id: int) -> Case:
    with database.transaction(write=False) as s:
        return s.get(Case, case_id)


def events(database, case_id: int) -> list[str]:
    with database.transaction(write=False) as s:
        return list(s.scalars(select(CaseEvent.action).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq)))


def do(run, database, case_id: int, actor, step_id: str, **kwargs):
    """The holder of ``step_id`` completes it (approving unless told otherwise)."""
    kwargs.setdefault("approved", True)
    kwargs.setdefault("opinion", "同意。")
    return run(complete_task, task_id(database, case_id, step_id), actor, **kwargs)


def info_request(run, person):
    """A 政府信息公开申请 to the 县政府办公室, filed now through its service (its period runs from receipt)."""
    from engine.disclosure import service as gk
    from engine.models import Department

    def go(s):
        zfb = s.scalars(select(Department.id).where(Department.code == "zfb")).one()
        request, _ = gk.file_request(s, gk.Requesting(
            name=person.name, requester_kind="natural", cert_type="111", cert_number=person.cert_number,
            phone=person.phone, description="阳光县2026年道路改造资金使用情况", delivery="pickup", department_id=zfb))
        return request.case
    return run(go)
