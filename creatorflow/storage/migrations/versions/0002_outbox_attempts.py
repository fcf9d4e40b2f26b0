"""outbox attempts, SMTP replies, claim tokens and the deliverability guard's pauses

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 21:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import creatorflow.storage.models

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outreach_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('from_address', sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('smtp_code', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('smtp_status', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('failure', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('deferred_until', creatorflow.storage.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('claim_token', sa.String(length=32), nullable=True))
        batch_op.create_index('ix_outreach_messages_from_claimed', ['from_address', 'claimed_at'], unique=False)

    op.create_table('sending_pauses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('key', sa.String(length=320), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.Column('paused_at', creatorflow.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('paused_by', sa.String(length=200), nullable=False),
    sa.Column('resumed_at', creatorflow.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resumed_by', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sending_pauses'))
    )
    with op.batch_alter_table('sending_pauses', schema=None) as batch_op:
        batch_op.create_index('ix_sending_pauses_scope_key', ['scope', 'key'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sending_pauses', schema=None) as batch_op:
        batch_op.drop_index('ix_sending_pauses_scope_key')

    op.drop_table('sending_pauses')
    with op.batch_alter_table('outreach_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outreach_messages_from_claimed')
        batch_op.drop_column('claim_token')
        batch_op.drop_column('deferred_until')
        batch_op.drop_column('failure')
        batch_op.drop_column('smtp_status')
        batch_op.drop_column('smtp_code')
        batch_op.drop_column('attempts')
        batch_op.drop_column('from_address')
