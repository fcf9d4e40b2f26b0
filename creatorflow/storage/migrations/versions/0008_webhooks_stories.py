"""Instagram webhooks and story deliverables (issue 17)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 23:30:00

``webhook_events`` is the inbox of signed notifications (one row per event key); a deliverable
gets a ``kind`` (``post`` or ``story``) with a story's CDN URL and expiry; a snapshot can carry a
story's self-reported reach, link taps and replies.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import creatorflow.storage.models

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('webhook_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('event_key', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=True),
    sa.Column('sender', sa.String(length=200), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('occurred_at', creatorflow.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('received_at', creatorflow.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('processed_at', creatorflow.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('deliverable_id', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_events')),
    sa.UniqueConstraint('event_key', name=op.f('uq_webhook_events_event_key'))
    )
    with op.batch_alter_table('webhook_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_events_status'), ['status'], unique=False)

    with op.batch_alter_table('deliverables', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), server_default=sa.text("'post'"), nullable=False))
        batch_op.add_column(sa.Column('media_url', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('expires_at', creatorflow.storage.models.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('metric_snapshots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reach', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('link_taps', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('replies', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('metric_snapshots', schema=None) as batch_op:
        batch_op.drop_column('replies')
        batch_op.drop_column('link_taps')
        batch_op.drop_column('reach')

    with op.batch_alter_table('deliverables', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
        batch_op.drop_column('media_url')
        batch_op.drop_column('kind')

    with op.batch_alter_table('webhook_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_events_status'))

    op.drop_table('webhook_events')
