"""accounts (lockout that expires, session epoch) and the hash-chained system log

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op

import engine.models.base

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user_account') as batch:
        batch.add_column(sa.Column('locked_until', engine.models.base.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column('session_epoch', sa.Integer(), nullable=False, server_default='0'))
    op.create_table('system_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('at', engine.models.base.UTCDateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('target', sa.String(length=200), nullable=False),
    sa.Column('detail', sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_system_event')),
    sa.UniqueConstraint('seq', name=op.f('uq_system_event_seq'))
    )
    op.create_index(op.f('ix_system_event_at'), 'system_event', ['at'], unique=False)
    op.create_index(op.f('ix_system_event_action'), 'system_event', ['action'], unique=False)
    head = op.create_table('system_log_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_system_log_head'))
    )
    op.bulk_insert(head, [{'id': 1, 'seq': 0, 'last_hash': ''}])


def downgrade() -> None:
    op.drop_table('system_log_head')
    op.drop_index(op.f('ix_system_event_action'), table_name='system_event')
    op.drop_index(op.f('ix_system_event_at'), table_name='system_event')
    op.drop_table('system_event')
    with op.batch_alter_table('user_account') as batch:
        batch.drop_column('session_epoch')
        batch.drop_column('locked_until')
