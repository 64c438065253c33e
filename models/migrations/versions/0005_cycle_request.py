"""cycle.request: the request letter a plan names, cited in compiled reports (SPEC §3.3)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0005'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('cycle', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('request', sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default='')
        )


def downgrade() -> None:
    with op.batch_alter_table('cycle', schema=None) as batch_op:
        batch_op.drop_column('request')
