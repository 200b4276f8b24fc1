"""initiative_owner_kpi: an initiative's owner, target date and the KPI it should move (all optional)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-09

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0013'
down_revision: Union[str, Sequence[str], None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('initiatives') as batch:
        batch.add_column(sa.Column('owner', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('target_date', sa.Date(), nullable=True))
        batch.add_column(sa.Column('kpi', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('initiatives') as batch:
        batch.drop_column('kpi')
        batch.drop_column('target_date')
        batch.drop_column('owner')
