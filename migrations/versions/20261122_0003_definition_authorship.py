"""definition authorship

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 07:29:28.759939
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import service.db.types

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('process_definition', schema=None) as batch_op:
        batch_op.add_column(sa.Column('created_by_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('change_note', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False, server_default=''))
        batch_op.create_foreign_key(batch_op.f('fk_process_definition_created_by_id_app_user'), 'app_user', ['created_by_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('process_definition', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_process_definition_created_by_id_app_user'), type_='foreignkey')
        batch_op.drop_column('change_note')
        batch_op.drop_column('created_by_id')

