"""在线解答: questions and each department's turn, the FAQ library, notifications; a step's own period start; complaints followed with a 查询码

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa
import engine.models.base


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('faq_category',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['faq_category.id'], name=op.f('fk_faq_category_parent_id_faq_category')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_faq_category'))
    )
    with op.batch_alter_table('faq_category', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_faq_category_parent_id'), ['parent_id'], unique=False)

    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('recipient', sa.String(length=120), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('ref', sa.String(length=60), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', engine.models.base.UTCDateTime(), nullable=False),
    sa.Column('sent_at', engine.models.base.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_state'), ['state'], unique=False)

    op.create_table('question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=30), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('query_code_hash', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('asker_name', sa.String(length=60), nullable=False),
    sa.Column('asker_phone', sa.String(length=40), nullable=True),
    sa.Column('asker_email', sa.String(length=120), nullable=True),
    sa.Column('consent_public', sa.Boolean(), nullable=False),
    sa.Column('asked_department_id', sa.Integer(), nullable=True),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('public', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('asked_at', engine.models.base.UTCDateTime(), nullable=False),
    sa.Column('answered_at', engine.models.base.UTCDateTime(), nullable=True),
    sa.Column('closed_at', engine.models.base.UTCDateTime(), nullable=True),
    sa.Column('registered_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['asked_department_id'], ['department.id'], name=op.f('fk_question_asked_department_id_department')),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_question_case_id_case'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['category_id'], ['faq_category.id'], name=op.f('fk_question_category_id_faq_category')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_question_department_id_department')),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_question_item_id_item')),
    sa.ForeignKeyConstraint(['registered_by_id'], ['user_account.id'], name=op.f('fk_question_registered_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question')),
    sa.UniqueConstraint('case_id', name=op.f('uq_question_case_id')),
    sa.UniqueConstraint('number', name=op.f('uq_question_number'))
    )
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_asked_at'), ['asked_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_question_department_id'), ['department_id'], unique=False)
        batch_op.create_index('ix_question_public_answered', ['public', 'answered_at'], unique=False)

    op.create_table('faq_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('source_question_id', sa.Integer(), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('created_at', engine.models.base.UTCDateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['category_id'], ['faq_category.id'], name=op.f('fk_faq_entry_category_id_faq_category')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_faq_entry_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_faq_entry_department_id_department')),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_faq_entry_item_id_item')),
    sa.ForeignKeyConstraint(['source_question_id'], ['question.id'], name=op.f('fk_faq_entry_source_question_id_question'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_faq_entry'))
    )
    with op.batch_alter_table('faq_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_faq_entry_category_id'), ['category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_faq_entry_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_faq_entry_item_id'), ['item_id'], unique=False)

    op.create_table('question_turn',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('started_at', engine.models.base.UTCDateTime(), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('limit_days', sa.Integer(), nullable=False),
    sa.Column('complex', sa.Boolean(), nullable=False),
    sa.Column('complex_reason', sa.Text(), nullable=True),
    sa.Column('complex_at', engine.models.base.UTCDateTime(), nullable=True),
    sa.Column('extended', sa.Boolean(), nullable=False),
    sa.Column('extension_reason', sa.Text(), nullable=True),
    sa.Column('extension_approver_id', sa.Integer(), nullable=True),
    sa.Column('extended_at', engine.models.base.UTCDateTime(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('due_provisional', sa.String(length=200), nullable=True),
    sa.Column('finished_at', engine.models.base.UTCDateTime(), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('to_department_id', sa.Integer(), nullable=True),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=True),
    sa.Column('explained_at', engine.models.base.UTCDateTime(), nullable=True),
    sa.Column('explained_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['answered_by_id'], ['user_account.id'], name=op.f('fk_question_turn_answered_by_id_user_account')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_question_turn_department_id_department')),
    sa.ForeignKeyConstraint(['explained_by_id'], ['user_account.id'], name=op.f('fk_question_turn_explained_by_id_user_account')),
    sa.ForeignKeyConstraint(['extension_approver_id'], ['user_account.id'], name=op.f('fk_question_turn_extension_approver_id_user_account')),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], name=op.f('fk_question_turn_question_id_question'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['user_account.id'], name=op.f('fk_question_turn_reviewed_by_id_user_account')),
    sa.ForeignKeyConstraint(['to_department_id'], ['department.id'], name=op.f('fk_question_turn_to_department_id_department')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question_turn'))
    )
    with op.batch_alter_table('question_turn', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_turn_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_question_turn_question_id'), ['question_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_question_turn_started_at'), ['started_at'], unique=False)

    with op.batch_alter_table('case_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('period_start', sa.Date(), nullable=True))

    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.add_column(sa.Column('query_code_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('question_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_complaint_question_id'), ['question_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_complaint_question_id_question'), 'question', ['question_id'], ['id'], ondelete='SET NULL')



def downgrade() -> None:
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_complaint_question_id_question'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_complaint_question_id'))
        batch_op.drop_column('question_id')
        batch_op.drop_column('query_code_hash')

    with op.batch_alter_table('case_task', schema=None) as batch_op:
        batch_op.drop_column('period_start')

    with op.batch_alter_table('question_turn', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_turn_started_at'))
        batch_op.drop_index(batch_op.f('ix_question_turn_question_id'))
        batch_op.drop_index(batch_op.f('ix_question_turn_department_id'))

    op.drop_table('question_turn')
    with op.batch_alter_table('faq_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_faq_entry_item_id'))
        batch_op.drop_index(batch_op.f('ix_faq_entry_department_id'))
        batch_op.drop_index(batch_op.f('ix_faq_entry_category_id'))

    op.drop_table('faq_entry')
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.drop_index('ix_question_public_answered')
        batch_op.drop_index(batch_op.f('ix_question_department_id'))
        batch_op.drop_index(batch_op.f('ix_question_asked_at'))

    op.drop_table('question')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_state'))

    op.drop_table('notification')
    with op.batch_alter_table('faq_category', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_faq_category_parent_id'))

    op.drop_table('faq_category')
