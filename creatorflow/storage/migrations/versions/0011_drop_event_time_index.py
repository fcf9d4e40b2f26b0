"""events: drop ix_events_occurred_at, which no query reads (issue 20)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 05:00:00

Nothing filters or orders the event log by time alone: the report's stage history reads its own
partial index (``ix_events_stage_history``: entity_id, occurred_at, id), and the rest look events
up by entity or creator. The plain time index was one more B-tree every event insert paid for
(an import's are the bulk of them) and no read used.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_occurred_at')


def downgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_occurred_at', ['occurred_at'], unique=False)
