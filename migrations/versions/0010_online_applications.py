"""online applications (申请编号, 查询码) and item aliases (俗称), audiences and life-event themes

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('case') as batch:
        batch.add_column(sa.Column('application_number', sa.String(length=40), nullable=True))
        batch.add_column(sa.Column('query_code_hash', sa.String(length=64), nullable=True))
        batch.create_unique_constraint(op.f('uq_case_application_number'), ['application_number'])
    # the public column's figures and 结果公示 at 100,000 cases (bench/public_pages.py)
    op.create_index('ix_case_received_at', 'case', ['received_at'])
    op.create_index('ix_case_state_finished_at', 'case', ['state', 'finished_at', 'item_version_id'])
    op.create_index('ix_case_applicant', 'case', ['applicant_type', 'applicant_name'])
    with op.batch_alter_table('item_version') as batch:
        batch.add_column(sa.Column('aliases', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'),
                                   nullable=False, server_default='[]'))
        batch.add_column(sa.Column('audiences', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'),
                                   nullable=False, server_default='[]'))
        batch.add_column(sa.Column('results_public', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column('themes', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'),
                                   nullable=False, server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('item_version') as batch:
        batch.drop_column('themes')
        batch.drop_column('results_public')
        batch.drop_column('audiences')
        batch.drop_column('aliases')
    op.drop_index('ix_case_applicant', 'case')
    op.drop_index('ix_case_state_finished_at', 'case')
    op.drop_index('ix_case_received_at', 'case')
    with op.batch_alter_table('case') as batch:
        batch.drop_constraint(op.f('uq_case_application_number'), type_='unique')
        batch.drop_column('query_code_hash')
        batch.drop_column('application_number')
