"""fewer indexes

Every index costs each write that touches it: on SQLite a page written to the WAL and fsynced at the commit, on
PostgreSQL an index entry and its WAL record. On SQLite, opening a CSPR case wrote 64 pages and completing its first
task 44 (bench/statements.py); without the indexes below, 54 and 38. Two kinds go:

- an index whose columns lead another index of the same table (``partnership_id`` beside
  ``(partnership_id, created_at, id)``, ``case_id`` beside the unique ``(case_id, user_id)``): the longer index
  serves every lookup the shorter one did, including the foreign-key checks;
- on the tables each engine step writes, indexes no query uses: ``human_task`` by role, by assignee alone (every
  query on it names the partnership: the partnership-assignee-due index serves it) and by partnership, state and
  creation (GET /tasks orders by due date since migration 0017); ``timer`` and ``case_member`` by partnership
  (timers are looked up by instance or by due time, members by user or by case). No row of the parent tables is
  ever deleted, so no foreign-key check needs them either.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 18:40:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DROPPED: list[tuple[str, str, list[str]]] = [
    ('action', 'ix_action_partnership_id', ['partnership_id']),
    ('agency', 'ix_agency_partnership_id', ['partnership_id']),
    ('app_user', 'ix_app_user_partnership_id', ['partnership_id']),
    ('case_agency', 'ix_case_agency_partnership_id', ['partnership_id']),
    ('case_member', 'ix_case_member_case_id', ['case_id']),
    ('case_member', 'ix_case_member_partnership_id', ['partnership_id']),
    ('case_record', 'ix_case_record_partnership_id', ['partnership_id']),
    ('course', 'ix_course_partnership_id', ['partnership_id']),
    ('human_task', 'ix_human_task_assignee_id', ['assignee_id']),
    ('human_task', 'ix_human_task_partnership_id', ['partnership_id']),
    ('human_task', 'ix_human_task_partnership_id_state_created_at_id', ['partnership_id', 'state', 'created_at', 'id']),
    ('human_task', 'ix_human_task_role', ['role']),
    ('idempotency_record', 'ix_idempotency_record_partnership_id', ['partnership_id']),
    ('identity_provider', 'ix_identity_provider_partnership_id', ['partnership_id']),
    ('learning_item', 'ix_learning_item_partnership_id', ['partnership_id']),
    ('nomination', 'ix_nomination_event_id', ['event_id']),
    ('recommendation', 'ix_recommendation_case_id', ['case_id']),
    ('recommendation', 'ix_recommendation_partnership_id', ['partnership_id']),
    ('recurring_theme', 'ix_recurring_theme_recommendation_id', ['recommendation_id']),
    ('theme', 'ix_theme_partnership_id', ['partnership_id']),
    ('timer', 'ix_timer_instance_id', ['instance_id']),
    ('timer', 'ix_timer_partnership_id', ['partnership_id']),
    ('trainee', 'ix_trainee_partnership_id', ['partnership_id']),
    ('training_event', 'ix_training_event_partnership_id', ['partnership_id']),
    ('webhook_delivery', 'ix_webhook_delivery_event_seq', ['event_seq']),
    ('webhook_event', 'ix_webhook_event_partnership_id', ['partnership_id']),
]


def upgrade() -> None:
    for table, name, _columns in DROPPED:
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    for table, name, columns in DROPPED:
        op.create_index(name, table, columns, unique=False)
