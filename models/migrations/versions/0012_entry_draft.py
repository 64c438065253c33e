"""entry draft and portal hits (the portal's entry form and shared rate limits, issue 18)

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-03 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0012'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('entry_draft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('values', sa.JSON(), nullable=False),
    sa.Column('saved_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('saved_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycle.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('cycle_id', 'unit_id')
    )
    with op.batch_alter_table('entry_draft', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_entry_draft_cycle_id'), ['cycle_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_entry_draft_unit_id'), ['unit_id'], unique=False)

    op.create_table('portal_hit',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('window', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', 'window')
    )


def downgrade() -> None:
    op.drop_table('portal_hit')
    with op.batch_alter_table('entry_draft', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_entry_draft_unit_id'))
        batch_op.drop_index(batch_op.f('ix_entry_draft_cycle_id'))
    op.drop_table('entry_draft')
