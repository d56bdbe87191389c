"""partnership subscriptions_version

A counter on the partnership, bumped in the same transaction as every change to its webhook subscriptions, so
each process can cache the active subscriptions and know, from the version the request's authentication read,
whether its copy is current (service/outbox/subscriptions.py). Existing rows start at 0: every process starts
with an empty cache, so no copy can claim version 0 for a set that has since changed.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 19:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('partnership', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subscriptions_version', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('partnership', schema=None) as batch_op:
        batch_op.drop_column('subscriptions_version')
