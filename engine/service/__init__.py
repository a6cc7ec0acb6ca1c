"""The case service: plain functions taking an explicit session and actor, one transaction per
command (the caller commits), raising domain exceptions from :mod:`engine.errors`."""

from .definitions import check_process, deploy_process
from .intake import Applicant, handle_on_the_spot, start_case
from .operations import (
    decide_extension,
    lapse_correction,
    reject,
    request_correction,
    request_extension,
    resume,
    return_to_applicant,
    suspend,
    withdraw,
)
from .tasks import assign, claim, complete_task, return_to_step, transfer, unclaim
from .timers import fire_due_timers
from .worklist import can_see_case, department_scope, worklist

__all__ = [
    "check_process", "deploy_process", "Applicant", "handle_on_the_spot", "start_case", "request_extension",
    "decide_extension", "lapse_correction", "reject", "request_correction",
    "resume", "return_to_applicant", "suspend", "withdraw", "assign", "claim", "complete_task", "return_to_step",
    "transfer", "unclaim", "fire_due_timers", "can_see_case", "department_scope", "worklist",
]
