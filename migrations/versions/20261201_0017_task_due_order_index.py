"""task due-order indexes

GET /tasks lists soonest due first (then creation, then id). "My work" is two parts paged apart and merged: the
claimable part walks partnership, state and due date; the assigned part walks partnership, assignee and due date;
a case's list (case_id=) walks partnership, case, state and due date. Each index lets its query stop after a page
instead of walking or sorting every task of the partnership.

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
    op.create_index(
        'ix_human_task_partnership_id_assignee_id_due_at_created_at_id',
        'human_task',
        ['partnership_id', 'assignee_id', 'due_at', 'created_at', 'id'],
        unique=False,
    )
    op.create_index(
        'ix_human_task_partnership_id_case_id_state_due_at_created_at_id',
        'human_task',
        ['partnership_id', 'case_id', 'state', 'due_at', 'created_at', 'id'],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index('ix_human_task_partnership_id_case_id_state_due_at_created_at_id', table_name='human_task')
    op.drop_index('ix_human_task_partnership_id_assignee_id_due_at_created_at_id', table_name='human_task')
    op.drop_index('ix_human_task_partnership_id_state_due_at_created_at_id', table_name='human_task')
