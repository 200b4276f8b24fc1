"""team_choices: the team each person last chose, their default for commands that act on a team

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-09

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0014'
down_revision: Union[str, Sequence[str], None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('team_choices',
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('team_key', sa.String(length=64), nullable=False),
    sa.Column('chosen_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_team_choices'))
    )


def downgrade() -> None:
    op.drop_table('team_choices')
