"""kpi: manual metrics, metric alerts and baselines

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('manual_metrics',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('metric', sa.String(length=64), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('logged_by', sa.String(length=32), nullable=False),
    sa.Column('logged_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_manual_metrics_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_manual_metrics')),
    sa.UniqueConstraint('team_id', 'metric', 'day', name=op.f('uq_manual_metrics_team_id'))
    )
    op.create_table('metric_alert_states',
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('metric', sa.String(length=64), nullable=False),
    sa.Column('red', sa.Boolean(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_metric_alert_states_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('team_id', 'metric', name=op.f('pk_metric_alert_states'))
    )
    op.create_table('metric_baselines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('metric', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('pinned_on', sa.Date(), nullable=False),
    sa.Column('pinned_by', sa.String(length=32), nullable=False),
    sa.Column('pinned_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_metric_baselines_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_metric_baselines')),
    sa.UniqueConstraint('team_id', 'metric', name=op.f('uq_metric_baselines_team_id'))
    )
    op.create_index('ix_tickets_team_solved_created', 'tickets', ['team_id', 'solved_at', 'created_at'], unique=False)
    op.create_index('ix_escalations_team_opened', 'escalations', ['team_id', 'opened_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_escalations_team_opened', table_name='escalations')
    op.drop_index('ix_tickets_team_solved_created', table_name='tickets')
    op.drop_table('metric_baselines')
    op.drop_table('metric_alert_states')
    op.drop_table('manual_metrics')
