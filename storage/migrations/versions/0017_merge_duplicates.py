"""Merging duplicates: escalations.merged_into (closed as a duplicate of that escalation), escalations.merged_from
(the duplicates merged into this one: their number and reporter), escalation_events.came_from (an entry copied
from a duplicate's timeline at its merge)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-08

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0017'
down_revision: Union[str, Sequence[str], None] = '0016'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('escalations') as batch:
        batch.add_column(sa.Column('merged_into', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('merged_from', sa.JSON(), nullable=True))
    with op.batch_alter_table('escalation_events') as batch:
        batch.add_column(sa.Column('came_from', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('escalation_events') as batch:
        batch.drop_column('came_from')
    with op.batch_alter_table('escalations') as batch:
        batch.drop_column('merged_from')
        batch.drop_column('merged_into')
