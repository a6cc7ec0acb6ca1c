"""flow-chart and status changes under legal review

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('item_change') as batch:
        batch.add_column(sa.Column('kind', sa.String(length=10), nullable=False, server_default='item'))
        batch.add_column(sa.Column('bpmn_xml', sa.Text(), nullable=True))
        batch.add_column(sa.Column('process_key', sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('item_change') as batch:
        batch.drop_column('process_key')
        batch.drop_column('bpmn_xml')
        batch.drop_column('kind')
