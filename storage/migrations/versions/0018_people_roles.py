"""people: whether Slack says someone is a workspace admin, a bot, or deactivated (users.info), so a request
reads the cache instead of asking Slack before it answers

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-08

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0018'
down_revision: Union[str, Sequence[str], None] = '0017'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('people') as batch:
        batch.add_column(sa.Column('is_admin', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column('is_bot', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column('deleted', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('people') as batch:
        batch.drop_column('deleted')
        batch.drop_column('is_bot')
        batch.drop_column('is_admin')
