"""task due-order index

GET /tasks lists soonest due first (then creation, then id) within a partnership and state: this index lets the
dated half of that keyset page walk in order and stop after a page, instead of sorting every open task.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 15:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        'ix_human_task_partnership_id_state_due_at_created_at_id',
        'human_task',
        ['partnership_id', 'state', 'due_at', 'created_at', 'id'],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index('ix_human_task_partnership_id_state_due_at_created_at_id', table_name='human_task')
