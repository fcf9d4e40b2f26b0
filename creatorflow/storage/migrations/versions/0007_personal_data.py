"""personal data: erased-person hashes, contact cap (issue 19)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 23:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from creatorflow.storage.columns import UTCDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "erasures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("creator_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("erased_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["creator_id"], ["creators.id"], name=op.f("fk_erasures_creator_id_creators")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasures")),
        sa.UniqueConstraint("creator_id", name=op.f("uq_erasures_creator_id")),
    )
    op.create_table(
        "erased_identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("erasure_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["erasure_id"], ["erasures.id"], name=op.f("fk_erased_identities_erasure_id_erasures")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erased_identities")),
        sa.UniqueConstraint("digest", name=op.f("uq_erased_identities_digest")),
    )
    with op.batch_alter_table("erased_identities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_erased_identities_erasure_id"), ["erasure_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("erased_identities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_erased_identities_erasure_id"))
    op.drop_table("erased_identities")
    op.drop_table("erasures")
