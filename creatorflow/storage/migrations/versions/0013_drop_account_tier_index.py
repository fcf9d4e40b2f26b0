"""accounts: drop ix_accounts_tier, an index on five values (issue 20)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 05:45:00

Only ``creators list --tier`` filters accounts by tier, and a tier holds a fifth of them or more:
the database reads the table either way. The index was one more B-tree every imported,
refreshed or re-tiered account paid for.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_index('ix_accounts_tier')


def downgrade() -> None:
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.create_index('ix_accounts_tier', ['tier'], unique=False)
