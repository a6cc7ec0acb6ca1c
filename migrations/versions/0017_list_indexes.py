"""Indexes for keyset-paged lists at a province's scale.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29 11:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # 已办: a clerk's completed steps newest first (engine/service/worklist.py ORDERS["done"])
    op.create_index("ix_case_task_done", "case_task", ["completed_by_id", "completed_at", "id"])
    # 待办 / 即将超期 / 已超期 of a department in the period order (worklist.DUE_LAST), and a user's claimed steps
    op.create_index("ix_case_task_queue", "case_task",
                    ["state", "department_id", sa.text("coalesce(due_date, '9999-12-31')"), "id"])
    op.create_index("ix_case_task_claimed", "case_task",
                    ["assignee_id", "state", sa.text("coalesce(due_date, '9999-12-31')"), "id"])
    op.create_index("ix_case_pause_kind", "case", ["pause_kind"])  # 已暂停
    # the supervision dashboard: top items by open alerts, publication alerts; its Q&A and 政务公开 panels
    op.create_index("ix_supervision_alert_state_item", "supervision_alert", ["state", "item_id"])
    op.create_index("ix_question_turn_started_on", "question_turn", ["started_on"])
    op.create_index("ix_complaint_received_at", "complaint", ["received_at"])
    op.create_index("ix_info_entry_state", "info_entry", ["state"])


def downgrade() -> None:
    op.drop_index("ix_info_entry_state", table_name="info_entry")
    op.drop_index("ix_complaint_received_at", table_name="complaint")
    op.drop_index("ix_question_turn_started_on", table_name="question_turn")
    op.drop_index("ix_supervision_alert_state_item", table_name="supervision_alert")
    op.drop_index("ix_case_pause_kind", table_name="case")
    op.drop_index("ix_case_task_claimed", table_name="case_task")
    op.drop_index("ix_case_task_queue", table_name="case_task")
    op.drop_index("ix_case_task_done", table_name="case_task")
