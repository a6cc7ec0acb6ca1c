"""All tables of Sunhall. Import models from here."""

from .base import Base, JSONType, UTCDateTime
from .calendar import CalendarDay, CalendarYear
from .cases import Case, CaseCounter, CaseEvent, CaseExtension, CasePause, CaseTask, SeriesCounter
from .disclosure import (
    InfoAppeal,
    InfoAssignment,
    InfoConsultation,
    InfoEntry,
    InfoGuide,
    InfoReportText,
    InfoRequest,
)
from .exchange import TOKEN_VERBS, ApiToken, CaseArchive, FeedMessage
from .items import Item, ItemChange, ItemVersion, ProcessDefinition
from .org import Department, Post, Region, User, user_post
from .qa import FaqCategory, FaqEntry, Notification, Question, QuestionTurn
from .stats import StatCaseMonth, StatStepMonth  # noqa: F401  (statistics rollups: rules/rollups.py)
from .system import SchedulerIncident, SchedulerLease
from .systemlog import SystemEvent, SystemLogHead

__all__ = [
    "Base", "JSONType", "UTCDateTime", "CalendarDay", "CalendarYear", "Case", "CaseCounter",
    "CaseEvent", "CaseExtension", "CasePause", "CaseTask", "Item", "ItemChange", "ItemVersion", "ProcessDefinition", "Department",
    "Post", "Region", "User", "user_post", "SchedulerLease", "SchedulerIncident",
    "SystemEvent", "SystemLogHead", "SeriesCounter", "Question", "QuestionTurn", "FaqCategory", "FaqEntry",
    "Notification", "InfoAppeal", "InfoAssignment", "InfoConsultation", "InfoEntry", "InfoGuide", "InfoReportText",
    "InfoRequest", "ApiToken", "CaseArchive", "FeedMessage", "TOKEN_VERBS",
]
