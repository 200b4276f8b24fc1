"""pulse: rounds, anonymous answers and participation

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('pulse_rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('week', sa.String(length=8), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('questions', sa.JSON(), nullable=False),
    sa.Column('min_responses', sa.Integer(), nullable=False),
    sa.Column('opens_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ballots', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_pulse_rounds_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pulse_rounds')),
    sa.UniqueConstraint('team_id', 'week', name=op.f('uq_pulse_rounds_team_id'))
    )
    op.create_table('pulse_participants',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('answered', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['pulse_rounds.id'], name=op.f('fk_pulse_participants_round_id_pulse_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', 'user_id', name=op.f('pk_pulse_participants'))
    )
    op.create_table('pulse_answers',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('question', sa.Integer(), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['pulse_rounds.id'], name=op.f('fk_pulse_answers_round_id_pulse_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pulse_answers')),
    sqlite_with_rowid=False
    )
    op.create_index(op.f('ix_pulse_answers_round_id'), 'pulse_answers', ['round_id'], unique=False)
    op.create_table('pulse_comments',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['pulse_rounds.id'], name=op.f('fk_pulse_comments_round_id_pulse_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pulse_comments')),
    sqlite_with_rowid=False
    )
    op.create_index(op.f('ix_pulse_comments_round_id'), 'pulse_comments', ['round_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_pulse_comments_round_id'), table_name='pulse_comments')
    op.drop_table('pulse_comments')
    op.drop_index(op.f('ix_pulse_answers_round_id'), table_name='pulse_answers')
    op.drop_table('pulse_answers')
    op.drop_table('pulse_participants')
    op.drop_table('pulse_rounds')
