"""token use and machine users

Tokens record when they were last used (refreshed at most once a minute). Users say whether they are a partner
agency's system rather than a person, so the user picker can leave machine users out; existing machine users are
recognised by the e-mail address service/identity/machines.py has always given them.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 11:32:07.417649
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import service.db.types

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_used_at', service.db.types.UtcDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('machine', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute("UPDATE app_user SET machine = true WHERE email LIKE '%.machine.invalid'")
    # The default served only to fill existing rows; the model always sets the value.
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.alter_column('machine', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('machine')

    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_column('last_used_at')
