"""sponsored-post compliance: caption versions, problems, nudges (issue 16)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 23:30:00

Caption history lives in its own table keyed by deliverable, so erasing a person (issue 19)
deletes or blanks those rows without touching the deliverable's metrics.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import creatorflow.storage.models

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'caption_versions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('deliverable_id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('title', sa.Text(), nullable=True),
        sa.Column('text', sa.Text(), nullable=True),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('verdict', sa.String(length=16), nullable=False),
        sa.Column('marker', sa.String(length=200), nullable=True),
        sa.Column('found', sa.String(length=200), nullable=True),
        sa.Column('field', sa.String(length=16), nullable=True),
        sa.Column('position', sa.Integer(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column(
            'first_seen_at', creatorflow.storage.models.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            'last_seen_at', creatorflow.storage.models.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ['deliverable_id'],
            ['deliverables.id'],
            name=op.f('fk_caption_versions_deliverable_id_deliverables'),
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_caption_versions')),
        sa.UniqueConstraint(
            'deliverable_id', 'seq', name='uq_caption_versions_deliverable_seq'
        ),
    )
    op.create_index(
        op.f('ix_caption_versions_deliverable_id'), 'caption_versions', ['deliverable_id']
    )
    op.create_table(
        'compliance_problems',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('deliverable_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=True),
        sa.Column(
            'opened_at', creatorflow.storage.models.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column('nudged_at', creatorflow.storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            'reminded_at', creatorflow.storage.models.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column('waived_at', creatorflow.storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column('waived_by', sa.String(length=200), nullable=True),
        sa.Column('waive_reason', sa.Text(), nullable=True),
        sa.Column('closed_at', creatorflow.storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column('closed_reason', sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ['deliverable_id'],
            ['deliverables.id'],
            name=op.f('fk_compliance_problems_deliverable_id_deliverables'),
        ),
        sa.ForeignKeyConstraint(
            ['version_id'],
            ['caption_versions.id'],
            name=op.f('fk_compliance_problems_version_id_caption_versions'),
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_compliance_problems')),
    )
    op.create_index(
        op.f('ix_compliance_problems_closed_at'), 'compliance_problems', ['closed_at']
    )
    op.create_index(
        op.f('ix_compliance_problems_deliverable_id'), 'compliance_problems', ['deliverable_id']
    )


def downgrade() -> None:
    op.drop_index(op.f('ix_compliance_problems_deliverable_id'), table_name='compliance_problems')
    op.drop_index(op.f('ix_compliance_problems_closed_at'), table_name='compliance_problems')
    op.drop_table('compliance_problems')
    op.drop_index(op.f('ix_caption_versions_deliverable_id'), table_name='caption_versions')
    op.drop_table('caption_versions')
