"""compile requests from the portal (compile now, in the background)

Revision ID: 0020
Revises: 0015
Create Date: 2026-12-03 10:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0020'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('compile_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('lease', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('run_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('files', sa.JSON(), nullable=True),
    sa.Column('problem', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycle.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_compile_request_cycle_id'), 'compile_request', ['cycle_id'], unique=False)
    op.create_index(op.f('ix_compile_request_unit_id'), 'compile_request', ['unit_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_compile_request_unit_id'), table_name='compile_request')
    op.drop_index(op.f('ix_compile_request_cycle_id'), table_name='compile_request')
    op.drop_table('compile_request')
