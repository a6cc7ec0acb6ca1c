"""supervision rules, alerts, watches and complaints

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa
import engine.models.base
from sqlalchemy.dialects import postgresql

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('supervision_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=10), nullable=False),
    sa.Column('type', sa.String(length=30), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('params', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('blocking', sa.Boolean(), nullable=False),
    sa.Column('scope_kind', sa.String(length=10), nullable=False),
    sa.Column('scope_value', sa.String(length=120), nullable=True),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', engine.models.base.UTCDateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_supervision_rule_updated_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_rule')),
    sa.UniqueConstraint('code', name=op.f('uq_supervision_rule_code'))
    )
    op.create_table('supervision_rule_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('snapshot', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('changed_at', engine.models.base.UTCDateTime(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['changed_by_id'], ['user_account.id'], name=op.f('fk_supervision_rule_version_changed_by_id_user_account')),
    sa.ForeignKeyConstraint(['rule_id'], ['supervision_rule.id'], name=op.f('fk_supervision_rule_version_rule_id_supervision_rule'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_rule_version')),
    sa.UniqueConstraint('rule_id', 'version', name=op.f('uq_supervision_rule_version_rule_id'))
    )
    op.create_table('complaint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=30), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('complainant', sa.String(length=100), nullable=False),
    sa.Column('contact', sa.String(length=60), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('received_at', engine.models.base.UTCDateTime(), nullable=False),
    sa.Column('accept_due', sa.Date(), nullable=True),
    sa.Column('handle_due', sa.Date(), nullable=True),
    sa.Column('extended', sa.Boolean(), nullable=False),
    sa.Column('decided_at', engine.models.base.UTCDateTime(), nullable=True),
    sa.Column('not_accepted_reason', sa.Text(), nullable=True),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_at', engine.models.base.UTCDateTime(), nullable=True),
    sa.Column('handled_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_complaint_case_id_case'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_complaint_department_id_department')),
    sa.ForeignKeyConstraint(['handled_by_id'], ['user_account.id'], name=op.f('fk_complaint_handled_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint')),
    sa.UniqueConstraint('number', name=op.f('uq_complaint_number'))
    )
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_department_id'), ['department_id'], unique=False)

    op.create_table('supervision_alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=True),
    sa.Column('rule_code', sa.String(length=10), nullable=False),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('step_id', sa.String(length=100), nullable=True),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('tags', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('created_at', engine.models.base.UTCDateTime(), nullable=False),
    sa.Column('handled_at', engine.models.base.UTCDateTime(), nullable=True),
    sa.Column('handled_by_id', sa.Integer(), nullable=True),
    sa.Column('handling_note', sa.Text(), nullable=True),
    sa.Column('order_case_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_supervision_alert_case_id_case'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_supervision_alert_department_id_department')),
    sa.ForeignKeyConstraint(['handled_by_id'], ['user_account.id'], name=op.f('fk_supervision_alert_handled_by_id_user_account')),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_supervision_alert_item_id_item')),
    sa.ForeignKeyConstraint(['order_case_id'], ['case.id'], name=op.f('fk_supervision_alert_order_case_id_case'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['rule_id'], ['supervision_rule.id'], name=op.f('fk_supervision_alert_rule_id_supervision_rule')),
    sa.ForeignKeyConstraint(['task_id'], ['case_task.id'], name=op.f('fk_supervision_alert_task_id_case_task'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_alert'))
    )
    with op.batch_alter_table('supervision_alert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supervision_alert_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supervision_alert_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_supervision_alert_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supervision_alert_rule_code'), ['rule_code'], unique=False)
        batch_op.create_index('ix_supervision_alert_state_level', ['state', 'level'], unique=False)

    op.create_table('supervision_watch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('rule_code', sa.String(length=10), nullable=False),
    sa.Column('fire_at', engine.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_supervision_watch_case_id_case'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['case_task.id'], name=op.f('fk_supervision_watch_task_id_case_task'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_watch'))
    )
    with op.batch_alter_table('supervision_watch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supervision_watch_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supervision_watch_task_id'), ['task_id'], unique=False)
        batch_op.create_index('ix_supervision_watch_due', ['fire_at'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('supervision_watch', schema=None) as batch_op:
        batch_op.drop_index('ix_supervision_watch_due')
        batch_op.drop_index(batch_op.f('ix_supervision_watch_case_id'))

    op.drop_table('supervision_watch')
    with op.batch_alter_table('supervision_alert', schema=None) as batch_op:
        batch_op.drop_index('ix_supervision_alert_state_level')
        batch_op.drop_index(batch_op.f('ix_supervision_alert_rule_code'))
        batch_op.drop_index(batch_op.f('ix_supervision_alert_department_id'))
        batch_op.drop_index(batch_op.f('ix_supervision_alert_created_at'))
        batch_op.drop_index(batch_op.f('ix_supervision_alert_case_id'))

    op.drop_table('supervision_alert')
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_department_id'))

    op.drop_table('complaint')
    op.drop_table('supervision_rule_version')
    op.drop_table('supervision_rule')

