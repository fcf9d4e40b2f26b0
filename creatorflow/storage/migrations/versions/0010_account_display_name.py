"""accounts: the display name and public handle the platform shows (issue 14)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 00:00:00

A YouTube creator imported by channel id with no name was greeted "Hi there" about "your
YouTube channel": the channel's title (``snippet.title``) and handle (``snippet.customUrl``)
came with every refresh and were dropped. ``display_name`` keeps the profile's name or channel
title, ``public_handle`` the @handle people know where ``handle`` is an id. Both are personal
data, like the creator's name: erasing a person must blank them too.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('display_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('public_handle', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('public_handle')
        batch_op.drop_column('display_name')
