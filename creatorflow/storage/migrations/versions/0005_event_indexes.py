"""event-log indexes: the report's stage history, campaign events only where there is a campaign

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 21:00:00

``ix_events_stage_history`` holds only the enrollments' stage changes, ordered as the report
reads them back (an enrollment's last change at a moment: one backward step, no sort); the
other events, an import's thousands of ``creator_created`` among them, never enter it.
``ix_events_campaign_id`` becomes partial for the same reason: most events name no campaign.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STAGE_CHANGES = "entity = 'enrollment' AND kind = 'stage_changed'"
WITH_CAMPAIGN = "campaign_id IS NOT NULL"


def upgrade() -> None:
    op.drop_index('ix_events_campaign_id', table_name='events')
    op.create_index(
        'ix_events_campaign_id',
        'events',
        ['campaign_id'],
        sqlite_where=sa.text(WITH_CAMPAIGN),
        postgresql_where=sa.text(WITH_CAMPAIGN),
    )
    op.create_index(
        'ix_events_stage_history',
        'events',
        ['entity_id', 'occurred_at', 'id'],
        sqlite_where=sa.text(STAGE_CHANGES),
        postgresql_where=sa.text(STAGE_CHANGES),
    )


def downgrade() -> None:
    op.drop_index('ix_events_stage_history', table_name='events')
    op.drop_index('ix_events_campaign_id', table_name='events')
    op.create_index('ix_events_campaign_id', 'events', ['campaign_id'])
