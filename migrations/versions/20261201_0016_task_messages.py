"""task messages

A user task carries the messages a front end shows above its form: why the process offers it again (declared on
the diagram's sequence flow that sends work back), or why it closed by itself (an escalation made moot).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 14:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import service.db.types

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('messages', service.db.types.JsonDocument(), nullable=False, server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_column('messages')
