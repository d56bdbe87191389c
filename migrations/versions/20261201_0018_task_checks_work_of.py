"""task checks_work_of

A second-person check (a user task with ``checksWorkOf``) now stores the element it checks on its task row, so the
work list can leave the check out of the list of whoever completed that element (the same stored fact the claim
and the completion refuse them on). Existing rows are filled in from their own definition version's XML, read here
with lxml alone: a migration must not import the service's parser, which will change after this revision is
frozen. Only the ``camunda:properties`` entry is read, exactly as the service reads it (trimmed, empty is none);
rows of definitions without ``checksWorkOf`` stay null, which is what the service would have projected for them.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 17:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from lxml import etree

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NS = {
    'bpmn': 'http://www.omg.org/spec/BPMN/20100524/MODEL',
    'camunda': 'http://camunda.org/schema/1.0/bpmn',
}


def upgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checks_work_of', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
    bind = op.get_bind()
    definitions = bind.execute(
        sa.text("SELECT id, bpmn_xml FROM process_definition WHERE bpmn_xml LIKE '%checksWorkOf%'")
    ).all()
    for definition_id, xml in definitions:
        for element_id, checked in _checks(xml).items():
            # Every row of the element, not only open ones: a task's read shows what it checks, completed or not.
            bind.execute(
                sa.text(
                    'UPDATE human_task SET checks_work_of = :checked WHERE element_id = :element_id AND instance_id IN '
                    '(SELECT id FROM process_instance WHERE definition_id = :definition_id)'
                ),
                {'checked': checked, 'element_id': element_id, 'definition_id': definition_id},
            )


def downgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_column('checks_work_of')


def _checks(xml: str) -> dict[str, str]:
    """Each user task's ``checksWorkOf`` in a stored diagram, by element id (a deployed diagram parsed before)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    root = etree.fromstring(xml.encode(), parser)
    found: dict[str, str] = {}
    for task in root.iter('{%s}userTask' % _NS['bpmn']):
        for prop in task.iterfind('bpmn:extensionElements/camunda:properties/camunda:property', _NS):
            value = (prop.get('value') or '').strip()
            if prop.get('name') == 'checksWorkOf' and value and task.get('id'):
                found[task.get('id', '')] = value
    return found
