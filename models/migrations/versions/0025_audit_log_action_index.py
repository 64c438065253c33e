"""audit_log (action, id) indexed: the last org import found without scanning the log

Revision ID: 0025
Revises: 0020
Create Date: 2026-12-03 14:55:00
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0025'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_action_id', ['action', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_action_id')
