"""unit_version.parent_id indexed: a province's units found by walking down its tree

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 07:05:00
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('unit_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_version_parent_id'), ['parent_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('unit_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_version_parent_id'))
