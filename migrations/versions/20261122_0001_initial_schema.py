"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-22 06:38:57.018785
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import service.db.types

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('partnership',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('settings', service.db.types.JsonDocument(), nullable=False),
    sa.Column('next_case_number', sa.Integer(), nullable=False),
    sa.Column('created_at', service.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partnership')),
    sa.UniqueConstraint('key', name=op.f('uq_partnership_key'))
    )
    op.create_table('agency',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('partnership_id', sa.Uuid(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('created_at', service.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_agency_partnership_id_partnership')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agency')),
    sa.UniqueConstraint('partnership_id', 'code', name=op.f('uq_agency_partnership_id_code'))
    )
    with op.batch_alter_table('agency', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agency_partnership_id'), ['partnership_id'], unique=False)

    op.create_table('process_definition',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('process_key', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('content_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('bpmn_xml', sa.Text(), nullable=False),
    sa.Column('partnership_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', service.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_process_definition_partnership_id_partnership')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_definition')),
    sa.UniqueConstraint('process_key', 'version', name=op.f('uq_process_definition_process_key_version'))
    )
    with op.batch_alter_table('process_definition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_process_definition_content_hash'), ['content_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_process_definition_partnership_id'), ['partnership_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_process_definition_process_key'), ['process_key'], unique=False)

    op.create_table('app_user',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('partnership_id', sa.Uuid(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=True),
    sa.Column('roles', service.db.types.JsonDocument(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', service.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_app_user_agency_id_agency')),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_app_user_partnership_id_partnership')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_user')),
    sa.UniqueConstraint('partnership_id', 'email', name=op.f('uq_app_user_partnership_id_email'))
    )
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_app_user_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_app_user_partnership_id'), ['partnership_id'], unique=False)

    op.create_table('api_token',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('partnership_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('prefix', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('created_at', service.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', service.db.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', service.db.types.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_api_token_partnership_id_partnership')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_api_token_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_partnership_id'), ['partnership_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_api_token_user_id'), ['user_id'], unique=False)

    op.create_table('audit_event',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), sa.Identity(always=False), nullable=False),
    sa.Column('partnership_id', sa.Uuid(), nullable=True),
    sa.Column('at', service.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('actor_label', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('object_type', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('object_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('summary', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('detail', service.db.types.JsonDocument(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['app_user.id'], name=op.f('fk_audit_event_actor_id_app_user')),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_audit_event_partnership_id_partnership')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_object_id'), ['object_id'], unique=False)
        batch_op.create_index('ix_audit_event_partnership_id_id', ['partnership_id', 'id'], unique=False)
    _make_audit_log_append_only()

    op.create_table('case_record',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('partnership_id', sa.Uuid(), nullable=False),
    sa.Column('case_type', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('subject_pseudonym', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('stages', service.db.types.JsonDocument(), nullable=False),
    sa.Column('involved_agencies', service.db.types.JsonDocument(), nullable=False),
    sa.Column('record', service.db.types.JsonDocument(), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', service.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', service.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', service.db.types.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_case_record_created_by_id_app_user')),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_case_record_partnership_id_partnership')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_record')),
    sa.UniqueConstraint('partnership_id', 'reference', name=op.f('uq_case_record_partnership_id_reference'))
    )
    with op.batch_alter_table('case_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_record_case_type'), ['case_type'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_record_partnership_id'), ['partnership_id'], unique=False)
        batch_op.create_index('ix_case_record_partnership_id_created_at_id', ['partnership_id', 'created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_record_status'), ['status'], unique=False)

    op.create_table('idempotency_record',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('partnership_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('request_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.Column('response', service.db.types.JsonDocument(), nullable=False),
    sa.Column('created_at', service.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_idempotency_record_partnership_id_partnership')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_idempotency_record_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_record')),
    sa.UniqueConstraint('partnership_id', 'user_id', 'key', name=op.f('uq_idempotency_record_partnership_id_user_id_key'))
    )
    with op.batch_alter_table('idempotency_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idempotency_record_partnership_id'), ['partnership_id'], unique=False)

    op.create_table('process_instance',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('partnership_id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('definition_id', sa.Uuid(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('state', service.db.types.OrderedJsonDocument(), nullable=False),
    sa.Column('serializer_version', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('variables', service.db.types.JsonDocument(), nullable=False),
    sa.Column('active_element_ids', service.db.types.JsonDocument(), nullable=False),
    sa.Column('completed_element_ids', service.db.types.JsonDocument(), nullable=False),
    sa.Column('waiting_messages', service.db.types.JsonDocument(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', service.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', service.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', service.db.types.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case_record.id'], name=op.f('fk_process_instance_case_id_case_record')),
    sa.ForeignKeyConstraint(['definition_id'], ['process_definition.id'], name=op.f('fk_process_instance_definition_id_process_definition')),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_process_instance_partnership_id_partnership')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_instance'))
    )
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_process_instance_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_process_instance_definition_id'), ['definition_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_process_instance_partnership_id'), ['partnership_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_process_instance_status'), ['status'], unique=False)

    op.create_table('human_task',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('partnership_id', sa.Uuid(), nullable=False),
    sa.Column('instance_id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('engine_task_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('element_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('lane', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
    sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('agency_code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('assignee_id', sa.Uuid(), nullable=True),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('due_at', service.db.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('created_at', service.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', service.db.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('completed_by_id', sa.Uuid(), nullable=True),
    sa.Column('data', service.db.types.JsonDocument(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['app_user.id'], name=op.f('fk_human_task_assignee_id_app_user')),
    sa.ForeignKeyConstraint(['case_id'], ['case_record.id'], name=op.f('fk_human_task_case_id_case_record')),
    sa.ForeignKeyConstraint(['completed_by_id'], ['app_user.id'], name=op.f('fk_human_task_completed_by_id_app_user')),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_human_task_instance_id_process_instance')),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_human_task_partnership_id_partnership')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_human_task'))
    )
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_human_task_agency_code'), ['agency_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_human_task_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_human_task_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_human_task_due_at'), ['due_at'], unique=False)
        batch_op.create_index('ix_human_task_instance_id_state', ['instance_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_human_task_partnership_id'), ['partnership_id'], unique=False)
        batch_op.create_index('ix_human_task_partnership_id_state_created_at_id', ['partnership_id', 'state', 'created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_human_task_role'), ['role'], unique=False)

    op.create_table('timer',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('partnership_id', sa.Uuid(), nullable=False),
    sa.Column('instance_id', sa.Uuid(), nullable=False),
    sa.Column('engine_task_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('element_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('due_at', service.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('fired_at', service.db.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('created_at', service.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_timer_instance_id_process_instance')),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_timer_partnership_id_partnership')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_timer')),
    sa.UniqueConstraint('instance_id', 'engine_task_id', name=op.f('uq_timer_instance_id_engine_task_id'))
    )
    with op.batch_alter_table('timer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_timer_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_timer_partnership_id'), ['partnership_id'], unique=False)
        batch_op.create_index('ix_timer_status_due_at', ['status', 'due_at'], unique=False)



def _make_audit_log_append_only() -> None:
    """The audit log is evidence: refuse UPDATE and DELETE in the database itself, not just in code."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'audit_event is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
            "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_event_no_{verb.lower()} BEFORE {verb} ON audit_event "
                "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
    with op.batch_alter_table('timer', schema=None) as batch_op:
        batch_op.drop_index('ix_timer_status_due_at')
        batch_op.drop_index(batch_op.f('ix_timer_partnership_id'))
        batch_op.drop_index(batch_op.f('ix_timer_instance_id'))

    op.drop_table('timer')
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_human_task_role'))
        batch_op.drop_index('ix_human_task_partnership_id_state_created_at_id')
        batch_op.drop_index(batch_op.f('ix_human_task_partnership_id'))
        batch_op.drop_index('ix_human_task_instance_id_state')
        batch_op.drop_index(batch_op.f('ix_human_task_due_at'))
        batch_op.drop_index(batch_op.f('ix_human_task_case_id'))
        batch_op.drop_index(batch_op.f('ix_human_task_assignee_id'))
        batch_op.drop_index(batch_op.f('ix_human_task_agency_code'))

    op.drop_table('human_task')
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_process_instance_status'))
        batch_op.drop_index(batch_op.f('ix_process_instance_partnership_id'))
        batch_op.drop_index(batch_op.f('ix_process_instance_definition_id'))
        batch_op.drop_index(batch_op.f('ix_process_instance_case_id'))

    op.drop_table('process_instance')
    with op.batch_alter_table('idempotency_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idempotency_record_partnership_id'))

    op.drop_table('idempotency_record')
    with op.batch_alter_table('case_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_record_status'))
        batch_op.drop_index('ix_case_record_partnership_id_created_at_id')
        batch_op.drop_index(batch_op.f('ix_case_record_partnership_id'))
        batch_op.drop_index(batch_op.f('ix_case_record_case_type'))

    op.drop_table('case_record')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_partnership_id_id')
        batch_op.drop_index(batch_op.f('ix_audit_event_object_id'))
        batch_op.drop_index(batch_op.f('ix_audit_event_action'))

    op.drop_table('audit_event')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_user_id'))
        batch_op.drop_index(batch_op.f('ix_api_token_partnership_id'))

    op.drop_table('api_token')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_app_user_partnership_id'))
        batch_op.drop_index(batch_op.f('ix_app_user_agency_id'))

    op.drop_table('app_user')
    with op.batch_alter_table('process_definition', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_process_definition_process_key'))
        batch_op.drop_index(batch_op.f('ix_process_definition_partnership_id'))
        batch_op.drop_index(batch_op.f('ix_process_definition_content_hash'))

    op.drop_table('process_definition')
    with op.batch_alter_table('agency', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agency_partnership_id'))

    op.drop_table('agency')
    op.drop_table('partnership')
