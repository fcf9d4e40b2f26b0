"""polling's writes: one index less per snapshot, room for in-page updates of deliverables (issue 20)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 05:20:00

``uq_metric_snapshots_deliverable_taken`` (deliverable_id, taken_at) leads with the deliverable:
every read of a post's snapshots (latest by a moment, the series, the evidence export) uses it,
and the plain ``ix_metric_snapshots_deliverable_id`` was a second B-tree each of a polling
round's snapshots paid for.

Each round stamps every polled deliverable (the claim's ``last_polled_at``). On PostgreSQL an
update that changes no indexed column stays in its page (a "HOT" update, no index touched) only
if the page has room: ``fillfactor = 80`` leaves it for the rows written from now on (existing
pages gain it when the table is rewritten, e.g. ``VACUUM FULL deliverables``). SQLite updates
rows in place and has no such setting.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('metric_snapshots', schema=None) as batch_op:
        batch_op.drop_index('ix_metric_snapshots_deliverable_id')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE deliverables SET (fillfactor = 80)')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE deliverables RESET (fillfactor)')
    with op.batch_alter_table('metric_snapshots', schema=None) as batch_op:
        batch_op.create_index(
            'ix_metric_snapshots_deliverable_id', ['deliverable_id'], unique=False
        )
