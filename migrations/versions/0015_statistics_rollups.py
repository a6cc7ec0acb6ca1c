"""Statistics rollups kept by each transaction that changes a case (performance by department, post
and step), filled from the existing cases; the indexes of the supervision pages (alerts paged by keyset,
the dashboard's counts of open alerts).

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 11:25:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('stat_case_month',
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('department_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('item_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('external', sa.Boolean(), nullable=False),
    sa.Column('cases', sa.Integer(), nullable=False),
    sa.Column('open', sa.Integer(), nullable=False),
    sa.Column('finished', sa.Integer(), nullable=False),
    sa.Column('on_time', sa.Integer(), nullable=False),
    sa.Column('early', sa.Integer(), nullable=False),
    sa.Column('overdue', sa.Integer(), nullable=False),
    sa.Column('returned', sa.Integer(), nullable=False),
    sa.Column('decided', sa.Integer(), nullable=False),
    sa.Column('denied', sa.Integer(), nullable=False),
    sa.Column('days_total', sa.Integer(), nullable=False),
    sa.Column('days_count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('month', 'department_id', 'item_id', 'external', name=op.f('pk_stat_case_month'))
    )
    op.create_table('stat_step_month',
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('item_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('step_id', sa.String(length=100), nullable=False),
    sa.Column('department_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('post_code', sa.String(length=40), nullable=False),
    sa.Column('external', sa.Boolean(), nullable=False),
    sa.Column('step_name', sa.String(length=200), nullable=False),
    sa.Column('tasks', sa.Integer(), nullable=False),
    sa.Column('returned', sa.Integer(), nullable=False),
    sa.Column('on_time', sa.Integer(), nullable=False),
    sa.Column('early', sa.Integer(), nullable=False),
    sa.Column('overdue', sa.Integer(), nullable=False),
    sa.Column('decided', sa.Integer(), nullable=False),
    sa.Column('denied', sa.Integer(), nullable=False),
    sa.Column('days_total', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('month', 'item_id', 'step_id', 'department_id', 'post_code', 'external', 'step_name',
                            name=op.f('pk_stat_step_month'))
    )
    with op.batch_alter_table('supervision_alert', schema=None) as batch_op:
        batch_op.create_index('ix_supervision_alert_created_id', ['created_at', 'id', 'level'], unique=False)
        batch_op.create_index('ix_supervision_alert_state_created', ['state', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_supervision_alert_state_department', ['state', 'department_id', 'level'],
                              unique=False)
    from rules import rollups  # the figures of the cases already there, in SQL
    rollups.rebuild(Session(bind=op.get_bind()))


def downgrade() -> None:
    with op.batch_alter_table('supervision_alert', schema=None) as batch_op:
        batch_op.drop_index('ix_supervision_alert_state_department')
        batch_op.drop_index('ix_supervision_alert_state_created')
        batch_op.drop_index('ix_supervision_alert_created_id')
    op.drop_table('stat_step_month')
    op.drop_table('stat_case_month')
