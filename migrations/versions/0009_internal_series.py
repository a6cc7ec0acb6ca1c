"""internal flows are numbered in a series of their own

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('series_counter',
                    sa.Column('series', sa.String(length=20), nullable=False),
                    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
                    sa.Column('last', sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint('series', 'year', name=op.f('pk_series_counter')))


def downgrade() -> None:
    op.drop_table('series_counter')
