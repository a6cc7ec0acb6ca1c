"""material versions (a replaced file is kept) and one-time intake tokens

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op

import engine.models.base

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('case_material_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('stored_path', sa.String(length=500), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('mime', sa.String(length=100), nullable=False),
    sa.Column('uploaded_at', engine.models.base.UTCDateTime(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['material_id'], ['case_material.id'],
                            name=op.f('fk_case_material_version_material_id_case_material'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'],
                            name=op.f('fk_case_material_version_uploaded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_material_version')),
    sa.UniqueConstraint('material_id', 'version', name=op.f('uq_case_material_version_material_id'))
    )
    with op.batch_alter_table('case_material_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_material_version_material_id'), ['material_id'], unique=False)
    # files uploaded before versions existed become version 1 of their material
    op.execute("INSERT INTO case_material_version (material_id, version, file_name, stored_path, sha256, size, mime, "
               "uploaded_at, uploaded_by_id) SELECT id, 1, COALESCE(file_name, '未命名材料'), stored_path, "
               "COALESCE(sha256, ''), COALESCE(size, 0), COALESCE(mime, 'application/octet-stream'), "
               "COALESCE(checked_at, CURRENT_TIMESTAMP), checked_by_id FROM case_material WHERE stored_path IS NOT NULL")

    op.create_table('intake_token',
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('created_at', engine.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_intake_token_case_id_case'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_intake_token_user_id_user_account')),
    sa.PrimaryKeyConstraint('token', name=op.f('pk_intake_token'))
    )
    with op.batch_alter_table('intake_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intake_token_case_id'), ['case_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('intake_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intake_token_case_id'))
    op.drop_table('intake_token')
    with op.batch_alter_table('case_material_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_material_version_material_id'))
    op.drop_table('case_material_version')
