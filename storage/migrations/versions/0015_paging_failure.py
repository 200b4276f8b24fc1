"""escalations.paging_failure: why an escalation's latest page could not be delivered (its card says so)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0015'
down_revision: Union[str, Sequence[str], None] = '0014'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('escalations') as batch:
        batch.add_column(sa.Column('paging_failure', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('escalations') as batch:
        batch.drop_column('paging_failure')
