"""Sunhall among other systems: API tokens, external cases (source, external_id), the upward feed's outbox,
archive packages, single sign-on subjects, case notices.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 08:01:19.419723
"""
from alembic import op
import sqlalchemy as sa
import engine.models.base
from sqlalchemy.dialects import postgresql

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('department_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('verbs', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('system_code', sa.String(length=40), nullable=True),
    sa.Column('created_at', engine.models.base.UTCDateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('expires_at', engine.models.base.UTCDateTime(), nullable=True),
    sa.Column('revoked_at', engine.models.base.UTCDateTime(), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('last_used_at', engine.models.base.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_api_token_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['user_account.id'], name=op.f('fk_api_token_revoked_by_id_user_account')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_api_token_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('prefix', name=op.f('uq_api_token_prefix')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_system_code'), ['system_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_api_token_user_id'), ['user_id'], unique=False)

    op.create_table('case_archive',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('case_number', sa.String(length=40), nullable=False),
    sa.Column('package_path', sa.String(length=500), nullable=False),
    sa.Column('manifest_sha256', sa.String(length=64), nullable=False),
    sa.Column('files', sa.Integer(), nullable=False),
    sa.Column('bytes', sa.Integer(), nullable=False),
    sa.Column('created_at', engine.models.base.UTCDateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('verified_at', engine.models.base.UTCDateTime(), nullable=True),
    sa.Column('purged_at', engine.models.base.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_case_archive_case_id_case'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_case_archive_created_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_archive')),
    sa.UniqueConstraint('case_id', name=op.f('uq_case_archive_case_id'))
    )
    with op.batch_alter_table('case_archive', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_archive_case_number'), ['case_number'], unique=False)

    op.create_table('feed_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('delivery_id', sa.String(length=64), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('case_number', sa.String(length=40), nullable=False),
    sa.Column('event_seq', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', engine.models.base.UTCDateTime(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', engine.models.base.UTCDateTime(), nullable=False),
    sa.Column('sent_at', engine.models.base.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_feed_outbox_case_id_case'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feed_outbox')),
    sa.UniqueConstraint('delivery_id', name=op.f('uq_feed_outbox_delivery_id'))
    )
    with op.batch_alter_table('feed_outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feed_outbox_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_feed_outbox_due', ['state', 'next_attempt_at'], unique=False)

    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('external_id', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('reported_at', engine.models.base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('archived_at', engine.models.base.UTCDateTime(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_case_source'), ['source', 'external_id'])

    with op.batch_alter_table('case_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reported_at', engine.models.base.UTCDateTime(), nullable=True))

    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.add_column(sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False))

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('case_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_notification_case_id'), ['case_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_notification_case_id_case'), 'case', ['case_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('oidc_subject', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), server_default=sa.text('false'), nullable=False))
        batch_op.create_unique_constraint(batch_op.f('uq_user_account_oidc_subject'), ['oidc_subject'])



def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_user_account_oidc_subject'), type_='unique')
        batch_op.drop_column('must_change_password')
        batch_op.drop_column('oidc_subject')

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_notification_case_id_case'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_notification_case_id'))
        batch_op.drop_column('case_id')
        batch_op.drop_column('kind')

    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.drop_column('active')

    with op.batch_alter_table('case_task', schema=None) as batch_op:
        batch_op.drop_column('reported_at')

    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_case_source'), type_='unique')
        batch_op.drop_column('archived_at')
        batch_op.drop_column('reported_at')
        batch_op.drop_column('external_id')
        batch_op.drop_column('source')

    with op.batch_alter_table('feed_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_feed_outbox_due')
        batch_op.drop_index(batch_op.f('ix_feed_outbox_case_id'))

    op.drop_table('feed_outbox')
    with op.batch_alter_table('case_archive', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_archive_case_number'))

    op.drop_table('case_archive')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_user_id'))
        batch_op.drop_index(batch_op.f('ix_api_token_system_code'))

    op.drop_table('api_token')
