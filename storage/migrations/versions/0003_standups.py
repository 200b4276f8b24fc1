"""standups: schedules' members, prompts and answers

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('people',
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('tz', sa.String(length=64), nullable=True),
    sa.Column('status_emoji', sa.String(length=100), nullable=False),
    sa.Column('status_text', sa.String(length=200), nullable=False),
    sa.Column('status_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('refreshed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_people'))
    )
    op.create_table('standup_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('prompted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('prompt_channel', sa.String(length=32), nullable=True),
    sa.Column('prompt_ts', sa.String(length=32), nullable=True),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('mood', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('reply_ts', sa.String(length=32), nullable=True),
    sa.Column('reply_version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_standup_entries_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_standup_entries')),
    sa.UniqueConstraint('team_id', 'user_id', 'day', name=op.f('uq_standup_entries_team_id'))
    )
    op.create_index('ix_standup_entries_team_day', 'standup_entries', ['team_id', 'day'], unique=False)
    op.create_table('standup_days',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('ts', sa.String(length=32), nullable=True),
    sa.Column('summarised_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_standup_days_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_standup_days')),
    sa.UniqueConstraint('team_id', 'day', name=op.f('uq_standup_days_team_id'))
    )
    op.create_table('standup_away',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('first', sa.Date(), nullable=False),
    sa.Column('last', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_standup_away'))
    )
    op.create_index(op.f('ix_standup_away_user_id'), 'standup_away', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_standup_away_user_id'), table_name='standup_away')
    op.drop_table('standup_away')
    op.drop_table('standup_days')
    op.drop_index('ix_standup_entries_team_day', table_name='standup_entries')
    op.drop_table('standup_entries')
    op.drop_table('people')
