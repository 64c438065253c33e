"""data-quality checks and their marks; the passages of the units' reports (SPEC §3.8, §3.9)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('cycle', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checks', sa.JSON(), nullable=False, server_default='[]'))
    op.create_table('flag_check',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('field', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('by_unit_id', sa.Integer(), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.ForeignKeyConstraint(['by_unit_id'], ['unit.id'], ),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycle.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('flag_check', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_flag_check_cycle_id'), ['cycle_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_flag_check_unit_id'), ['unit_id'], unique=False)
    op.create_table('report_passage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('passages', sa.JSON(), nullable=False),
    sa.Column('problem', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('report_passage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_passage_submission_id'), ['submission_id'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('report_passage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_passage_submission_id'))
    op.drop_table('report_passage')
    with op.batch_alter_table('flag_check', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_flag_check_unit_id'))
        batch_op.drop_index(batch_op.f('ix_flag_check_cycle_id'))
    op.drop_table('flag_check')
    with op.batch_alter_table('cycle', schema=None) as batch_op:
        batch_op.drop_column('checks')
