"""tickets: helpdesk tickets from CSV imports and the webhook

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('tickets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('first_response_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('solved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=True),
    sa.Column('csat_good', sa.Boolean(), nullable=True),
    sa.Column('reopens', sa.Integer(), nullable=False),
    sa.Column('agent_replies', sa.Integer(), nullable=True),
    sa.Column('sla_breached', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_tickets_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tickets')),
    sa.UniqueConstraint('team_id', 'external_id', name=op.f('uq_tickets_team_id'))
    )
    op.create_index('ix_tickets_team_created', 'tickets', ['team_id', 'created_at'], unique=False)
    op.create_index('ix_tickets_team_solved', 'tickets', ['team_id', 'solved_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_tickets_team_solved', table_name='tickets')
    op.drop_index('ix_tickets_team_created', table_name='tickets')
    op.drop_table('tickets')
