"""tickets.helpdesk_id: the helpdesk's other id of a ticket (a Salesforce case's Id), which a link may name

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-08

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0024'
down_revision: Union[str, Sequence[str], None] = '0023'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('tickets') as batch:
        batch.add_column(sa.Column('helpdesk_id', sa.String(length=32), nullable=True))
        batch.create_index('ix_tickets_helpdesk_id', ['helpdesk_id'])


def downgrade() -> None:
    with op.batch_alter_table('tickets') as batch:
        batch.drop_index('ix_tickets_helpdesk_id')
        batch.drop_column('helpdesk_id')
