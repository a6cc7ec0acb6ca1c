"""Domain exceptions. Each carries a Chinese message for people and an English code for logs
and API clients. Services raise these, never HTTP errors."""

from __future__ import annotations


class SunhallError(Exception):
    code = "error"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, **details):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details


class NotFound(SunhallError):
    code = "not_found"
    status = 404


class PermissionDenied(SunhallError):
    code = "permission_denied"
    status = 403


class InvalidInput(SunhallError):
    code = "invalid_input"
    status = 422


class Conflict(SunhallError):
    """The thing changed under you: a stale version or a task already done."""

    code = "conflict"
    status = 409


class StaleCase(Conflict):
    code = "stale_case"


class InvalidState(SunhallError):
    """The command does not apply to the case as it stands (e.g. 不予受理 after acceptance)."""

    code = "invalid_state"
    status = 409


class CheckpointViolation(SunhallError):
    """A blocking supervision checkpoint refused the transition."""

    code = "checkpoint_violation"
    status = 422


class CalendarMissing(SunhallError):
    code = "calendar_missing"
    status = 422

    def __init__(self, year: int):
        super().__init__(f"{year} 年的放假安排尚未录入，不能修改单日；请先导入国务院通知维护 {year} 年。", year=year)
        self.year = year


class LoopLimitExceeded(SunhallError):
    code = "loop_limit"
    status = 409


class ProcessInvalid(SunhallError):
    """A BPMN file failed validation; ``problems`` holds one entry per problem."""

    code = "process_invalid"
    status = 422

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("流程图校验未通过：\n" + "\n".join(str(p) for p in self.problems))


class ExpressionError(SunhallError):
    code = "expression_error"
    status = 422


class FlowError(SunhallError):
    """The flow chart could not go on (a condition lacks data, a script failed)."""

    code = "flow_error"
    status = 422
