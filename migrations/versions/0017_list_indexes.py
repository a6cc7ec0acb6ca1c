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


def downgrade() -> None:
    op.drop_index("ix_case_pause_kind", table_name="case")
    op.drop_index("ix_case_task_claimed", table_name="case_task")
    op.drop_index("ix_case_task_queue", table_name="case_task")
    op.drop_index("ix_case_task_done", table_name="case_task")
