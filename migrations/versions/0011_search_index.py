"""site search: one index fed by every publisher (items, FAQ, later Q&A and disclosure)

SQLite: a plain document table and an FTS5 table of pre-segmented tokens (rowid = document id).
PostgreSQL: the same document table with a tsvector column (``simple`` config) and a GIN index.
The tables belong to engine/search/tables.py, not to the models: they are an index, rebuilt by
``search.reindex_all`` at any time.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == 'postgresql'
    columns = [
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(length=20), nullable=False),
        sa.Column('ref', sa.String(length=200), nullable=False),
        sa.Column('title', sa.String(length=300), nullable=False),
        sa.Column('url', sa.String(length=300), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('names', sa.Text(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('department', sa.String(length=200), nullable=False),
        sa.Column('category', sa.String(length=10), nullable=True),
        sa.Column('indexed_at', sa.DateTime(), nullable=False),
    ]
    if postgres:
        columns.append(sa.Column('tsv', postgresql.TSVECTOR(), nullable=False))
    op.create_table('search_document', *columns,
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_document')),
                    sa.UniqueConstraint('source', 'ref', name=op.f('uq_search_document_source')))
    # the names (vocabulary) of the items are re-read when their newest indexing time or number changes
    op.create_index('ix_search_document_source_indexed_at', 'search_document', ['source', 'indexed_at'])
    if postgres:
        op.create_index('ix_search_document_tsv', 'search_document', ['tsv'], postgresql_using='gin')
        # the words of the title and keywords alone (weight A): documents that name what was asked
        op.execute("CREATE INDEX ix_search_document_title_tsv ON search_document USING gin (ts_filter(tsv, '{a}'))")
        op.create_index('ix_search_document_department_id', 'search_document', ['department_id'])
        op.create_index('ix_search_document_category', 'search_document', ['category'])
    else:
        # tags: d<department id>, c<category>, s<source>, so that filters are intersected inside FTS5
        op.execute("CREATE VIRTUAL TABLE search_fts USING fts5(title, keywords, body, tags)")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_search_document_category', table_name='search_document')
        op.drop_index('ix_search_document_department_id', table_name='search_document')
        op.execute("DROP INDEX ix_search_document_title_tsv")
        op.drop_index('ix_search_document_tsv', table_name='search_document')
    else:
        op.execute("DROP TABLE search_fts")
    op.drop_index('ix_search_document_source_indexed_at', table_name='search_document')
    op.drop_table('search_document')
