"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa
import engine.models.base
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('calendar_year',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('complete', sa.Boolean(), nullable=False),
    sa.Column('updated_at', engine.models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_calendar_year'))
    )
    op.create_table('case_counter',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_case_counter'))
    )
    op.create_table('region',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['parent_id'], ['region.id'], name=op.f('fk_region_parent_id_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_region')),
    sa.UniqueConstraint('code', name=op.f('uq_region_code'))
    )
    op.create_table('scheduler_lease',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('holder', sa.String(length=100), nullable=False),
    sa.Column('expires_at', engine.models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_scheduler_lease'))
    )
    op.create_table('department',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=True),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('address', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['parent_id'], ['department.id'], name=op.f('fk_department_parent_id_department')),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], name=op.f('fk_department_region_id_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_department')),
    sa.UniqueConstraint('code', name=op.f('uq_department_code')),
    sa.UniqueConstraint('credit_code', name=op.f('uq_department_credit_code'))
    )
    op.create_table('item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('current_version_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_item_department_id_department')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item')),
    sa.UniqueConstraint('code', name=op.f('uq_item_code'))
    )
    op.create_table('post',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_post_department_id_department')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_post')),
    sa.UniqueConstraint('department_id', 'code', name=op.f('uq_post_department_id'))
    )
    op.create_table('user_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_no', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('roles', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_user_account_department_id_department')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_account')),
    sa.UniqueConstraint('staff_no', name=op.f('uq_user_account_staff_no'))
    )
    op.create_table('calendar_day',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('is_workday', sa.Boolean(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=True),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('updated_at', engine.models.base.UTCDateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_calendar_day_updated_by_id_user_account')),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_calendar_day'))
    )
    op.create_table('item_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('category', sa.String(length=2), nullable=False),
    sa.Column('case_type', sa.String(length=20), nullable=False),
    sa.Column('legal_basis', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('subject_nature', sa.String(length=20), nullable=False),
    sa.Column('entrusting_unit', sa.String(length=200), nullable=True),
    sa.Column('section', sa.String(length=100), nullable=True),
    sa.Column('conditions', sa.Text(), nullable=False),
    sa.Column('charges_fee', sa.Boolean(), nullable=False),
    sa.Column('fee_basis', sa.Text(), nullable=False),
    sa.Column('fee_standard', sa.Text(), nullable=False),
    sa.Column('legal_limit', sa.Integer(), nullable=False),
    sa.Column('promised_limit', sa.Integer(), nullable=False),
    sa.Column('limit_unit', sa.String(length=10), nullable=False),
    sa.Column('extension_limit', sa.Integer(), nullable=False),
    sa.Column('correction_notice_limit', sa.Integer(), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('supervision_phone', sa.String(length=40), nullable=False),
    sa.Column('online_url', sa.String(length=300), nullable=False),
    sa.Column('materials', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('service_forms', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('faq', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('extra', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('process_key', sa.String(length=100), nullable=True),
    sa.Column('published_at', engine.models.base.UTCDateTime(), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('legal_limit >= 0 AND promised_limit >= 0', name=op.f('ck_item_version_limits_positive')),
    sa.CheckConstraint('promised_limit <= legal_limit', name=op.f('ck_item_version_promised_within_legal')),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_item_version_item_id_item')),
    sa.ForeignKeyConstraint(['published_by_id'], ['user_account.id'], name=op.f('fk_item_version_published_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_version')),
    sa.UniqueConstraint('item_id', 'version', name=op.f('uq_item_version_item_id'))
    )
    with op.batch_alter_table('item') as batch:
        batch.create_foreign_key('fk_item_current_version_id_item_version', 'item_version',
                                 ['current_version_id'], ['id'])
    op.create_table('process_definition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('process_key', sa.String(length=100), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('bpmn_xml', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('deployed_at', engine.models.base.UTCDateTime(), nullable=False),
    sa.Column('deployed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['deployed_by_id'], ['user_account.id'], name=op.f('fk_process_definition_deployed_by_id_user_account')),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_process_definition_item_id_item')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_definition')),
    sa.UniqueConstraint('process_key', 'version', name=op.f('uq_process_definition_process_key'))
    )
    with op.batch_alter_table('process_definition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_process_definition_process_key'), ['process_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_process_definition_sha256'), ['sha256'], unique=False)

    op.create_table('user_post',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['post.id'], name=op.f('fk_user_post_post_id_post'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_user_post_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'post_id', name=op.f('pk_user_post'))
    )
    op.create_table('case',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('item_version_id', sa.Integer(), nullable=False),
    sa.Column('definition_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('case_type', sa.String(length=20), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('applicant_type', sa.String(length=2), nullable=False),
    sa.Column('applicant_name', sa.String(length=200), nullable=False),
    sa.Column('cert_type', sa.String(length=10), nullable=False),
    sa.Column('cert_number', sa.String(length=40), nullable=False),
    sa.Column('contact_name', sa.String(length=60), nullable=True),
    sa.Column('contact_phone', sa.String(length=40), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('agent_name', sa.String(length=60), nullable=True),
    sa.Column('agent_cert_type', sa.String(length=10), nullable=True),
    sa.Column('agent_cert_number', sa.String(length=40), nullable=True),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('pause_kind', sa.String(length=20), nullable=True),
    sa.Column('received_at', engine.models.base.UTCDateTime(), nullable=False),
    sa.Column('received_by_id', sa.Integer(), nullable=True),
    sa.Column('accepted_at', engine.models.base.UTCDateTime(), nullable=True),
    sa.Column('accepted_by_id', sa.Integer(), nullable=True),
    sa.Column('limit_days', sa.Integer(), nullable=False),
    sa.Column('limit_unit', sa.String(length=10), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('deadline_pending', sa.String(length=200), nullable=True),
    sa.Column('paused_days', sa.Integer(), nullable=False),
    sa.Column('extended_days', sa.Integer(), nullable=False),
    sa.Column('loop_count', sa.Integer(), nullable=False),
    sa.Column('step_visits', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('result', sa.String(length=100), nullable=True),
    sa.Column('result_detail', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('finished_at', engine.models.base.UTCDateTime(), nullable=True),
    sa.Column('workflow_state', sa.Text(), nullable=False),
    sa.Column('serializer_version', sa.String(length=10), nullable=False),
    sa.Column('next_timer_at', engine.models.base.UTCDateTime(), nullable=True),
    sa.Column('event_count', sa.Integer(), nullable=False),
    sa.Column('last_event_hash', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['accepted_by_id'], ['user_account.id'], name=op.f('fk_case_accepted_by_id_user_account')),
    sa.ForeignKeyConstraint(['definition_id'], ['process_definition.id'], name=op.f('fk_case_definition_id_process_definition')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_case_department_id_department')),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_case_item_id_item')),
    sa.ForeignKeyConstraint(['item_version_id'], ['item_version.id'], name=op.f('fk_case_item_version_id_item_version')),
    sa.ForeignKeyConstraint(['received_by_id'], ['user_account.id'], name=op.f('fk_case_received_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case')),
    sa.UniqueConstraint('number', name=op.f('uq_case_number'))
    )
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_cert_number'), ['cert_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_item_id'), ['item_id'], unique=False)
        batch_op.create_index('ix_case_next_timer_at', ['next_timer_at'], unique=False)
        batch_op.create_index('ix_case_state_deadline', ['state', 'deadline'], unique=False)

    op.create_table('case_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('at', engine.models.base.UTCDateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=60), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('step_id', sa.String(length=100), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('before', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('after', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('detail', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_case_event_actor_id_user_account')),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_case_event_case_id_case'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_event')),
    sa.UniqueConstraint('case_id', 'seq', name=op.f('uq_case_event_case_id'))
    )
    op.create_table('case_pause',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('expected_days', sa.Integer(), nullable=True),
    sa.Column('missing_materials', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('step_id', sa.String(length=100), nullable=True),
    sa.Column('started_at', engine.models.base.UTCDateTime(), nullable=False),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.Column('ended_at', engine.models.base.UTCDateTime(), nullable=True),
    sa.Column('ended_by_id', sa.Integer(), nullable=True),
    sa.Column('paused_days', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_case_pause_case_id_case'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ended_by_id'], ['user_account.id'], name=op.f('fk_case_pause_ended_by_id_user_account')),
    sa.ForeignKeyConstraint(['started_by_id'], ['user_account.id'], name=op.f('fk_case_pause_started_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_pause'))
    )
    with op.batch_alter_table('case_pause', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_pause_case_id'), ['case_id'], unique=False)

    op.create_table('case_task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('spiff_id', sa.String(length=36), nullable=False),
    sa.Column('step_id', sa.String(length=100), nullable=False),
    sa.Column('step_name', sa.String(length=200), nullable=False),
    sa.Column('post_code', sa.String(length=40), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('created_at', engine.models.base.UTCDateTime(), nullable=False),
    sa.Column('time_limit', sa.Integer(), nullable=False),
    sa.Column('limit_unit', sa.String(length=10), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('claimed_at', engine.models.base.UTCDateTime(), nullable=True),
    sa.Column('completed_at', engine.models.base.UTCDateTime(), nullable=True),
    sa.Column('completed_by_id', sa.Integer(), nullable=True),
    sa.Column('opinion', sa.Text(), nullable=True),
    sa.Column('approved', sa.Boolean(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('form_data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['user_account.id'], name=op.f('fk_case_task_assignee_id_user_account')),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_case_task_case_id_case'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['completed_by_id'], ['user_account.id'], name=op.f('fk_case_task_completed_by_id_user_account')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_case_task_department_id_department')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_task'))
    )
    with op.batch_alter_table('case_task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_task_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_task_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_case_task_due', ['state', 'due_date'], unique=False)
        batch_op.create_index('ix_case_task_ready', ['state', 'department_id', 'post_code'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('item') as batch:
        batch.drop_constraint('fk_item_current_version_id_item_version', type_='foreignkey')
    with op.batch_alter_table('case_task', schema=None) as batch_op:
        batch_op.drop_index('ix_case_task_ready')
        batch_op.drop_index('ix_case_task_due')
        batch_op.drop_index(batch_op.f('ix_case_task_case_id'))
        batch_op.drop_index(batch_op.f('ix_case_task_assignee_id'))

    op.drop_table('case_task')
    with op.batch_alter_table('case_pause', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_pause_case_id'))

    op.drop_table('case_pause')
    op.drop_table('case_event')
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_index('ix_case_state_deadline')
        batch_op.drop_index('ix_case_next_timer_at')
        batch_op.drop_index(batch_op.f('ix_case_item_id'))
        batch_op.drop_index(batch_op.f('ix_case_department_id'))
        batch_op.drop_index(batch_op.f('ix_case_cert_number'))

    op.drop_table('case')
    op.drop_table('user_post')
    with op.batch_alter_table('process_definition', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_process_definition_sha256'))
        batch_op.drop_index(batch_op.f('ix_process_definition_process_key'))

    op.drop_table('process_definition')
    op.drop_table('item_version')
    op.drop_table('calendar_day')
    op.drop_table('user_account')
    op.drop_table('post')
    op.drop_table('item')
    op.drop_table('department')
    op.drop_table('scheduler_lease')
    op.drop_table('region')
    op.drop_table('case_counter')
    op.drop_table('calendar_year')
