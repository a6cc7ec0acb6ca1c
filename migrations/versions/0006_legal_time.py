"""legal time: provisional dates, clock start, extensions under approval, scheduler incidents

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa
import engine.models.base

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('case') as batch:
        batch.drop_column('deadline_pending')
        batch.add_column(sa.Column('deadline_provisional', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('clock_start', sa.Date(), nullable=True))
        batch.add_column(sa.Column('clock_basis', sa.String(length=30), nullable=True))
    with op.batch_alter_table('case_task') as batch:
        batch.add_column(sa.Column('due_provisional', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('case_pause') as batch:
        batch.add_column(sa.Column('stops_clock', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column('due_date', sa.Date(), nullable=True))
        batch.add_column(sa.Column('provisional', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('item_version') as batch:
        batch.add_column(sa.Column('clock_start', sa.String(length=20), nullable=False, server_default='acceptance'))
        batch.add_column(sa.Column('correction_stops_clock_basis', sa.String(length=300), nullable=True))
        batch.add_column(sa.Column('correction_answer_days', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('supervision_watch') as batch:
        batch.add_column(sa.Column('provisional', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('complaint') as batch:
        batch.add_column(sa.Column('due_provisional', sa.String(length=200), nullable=True))
    op.create_table('case_extension',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('collective', sa.Boolean(), nullable=False),
    sa.Column('collective_record', sa.Text(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('requested_at', engine.models.base.UTCDateTime(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('approver_id', sa.Integer(), nullable=False),
    sa.Column('decided_at', engine.models.base.UTCDateTime(), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.Column('deadline_before', sa.Date(), nullable=True),
    sa.Column('deadline_after', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['approver_id'], ['user_account.id'], name=op.f('fk_case_extension_approver_id_user_account')),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_case_extension_case_id_case'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user_account.id'], name=op.f('fk_case_extension_requested_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_extension'))
    )
    op.create_index(op.f('ix_case_extension_approver_id'), 'case_extension', ['approver_id'], unique=False)
    op.create_index(op.f('ix_case_extension_case_id'), 'case_extension', ['case_id'], unique=False)
    op.create_table('scheduler_incident',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('what', sa.String(length=300), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('first_seen', engine.models.base.UTCDateTime(), nullable=False),
    sa.Column('last_seen', engine.models.base.UTCDateTime(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('resolved_at', engine.models.base.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_scheduler_incident_case_id_case'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduler_incident')),
    sa.UniqueConstraint('key', name=op.f('uq_scheduler_incident_key'))
    )
    op.create_index(op.f('ix_scheduler_incident_case_id'), 'scheduler_incident', ['case_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_scheduler_incident_case_id'), table_name='scheduler_incident')
    op.drop_table('scheduler_incident')
    op.drop_index(op.f('ix_case_extension_case_id'), table_name='case_extension')
    op.drop_index(op.f('ix_case_extension_approver_id'), table_name='case_extension')
    op.drop_table('case_extension')
    with op.batch_alter_table('complaint') as batch:
        batch.drop_column('due_provisional')
    with op.batch_alter_table('supervision_watch') as batch:
        batch.drop_column('provisional')
    with op.batch_alter_table('item_version') as batch:
        batch.drop_column('correction_answer_days')
        batch.drop_column('correction_stops_clock_basis')
        batch.drop_column('clock_start')
    with op.batch_alter_table('case_pause') as batch:
        batch.drop_column('provisional')
        batch.drop_column('due_date')
        batch.drop_column('stops_clock')
    with op.batch_alter_table('case_task') as batch:
        batch.drop_column('due_provisional')
    with op.batch_alter_table('case') as batch:
        batch.drop_column('clock_basis')
        batch.drop_column('clock_start')
        batch.drop_column('deadline_provisional')
        batch.add_column(sa.Column('deadline_pending', sa.String(length=200), nullable=True))
