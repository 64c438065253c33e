"""compiled files kept in the database

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 08:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('compiled_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('compilation_id', sa.Integer(), nullable=False),
    sa.Column('file_name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['compilation_id'], ['compilation.id'], ),
    sa.ForeignKeyConstraint(['sha256'], ['stored_file.sha256'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('compilation_id', 'file_name')
    )
    op.create_index(op.f('ix_compiled_file_compilation_id'), 'compiled_file', ['compilation_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_compiled_file_compilation_id'), table_name='compiled_file')
    op.drop_table('compiled_file')
