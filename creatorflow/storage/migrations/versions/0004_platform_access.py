"""platform access: when a platform lets creatorflow in again; why an engagement rate is unknown

Revision ID: 0004
Revises: 0003
Create Date: 2027-03-01 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import creatorflow.storage.models

revision: str = '0004'
# follows '0002': issue 12's reading half needed no schema change, so there is no '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('platform_access',
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('returns_at', creatorflow.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('blocked_until', creatorflow.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('refresh_pending_since', creatorflow.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', creatorflow.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('platform', name=op.f('pk_platform_access'))
    )
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('engagement_unknown', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('engagement_unknown')

    op.drop_table('platform_access')
