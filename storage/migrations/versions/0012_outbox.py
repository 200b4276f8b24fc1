"""outbox: every Slack message a state change implies, written with it; cards and escalation sends already
done (posted cards, completed `esc:` claims) are carried over as sent, so nothing goes out twice

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-09

"""
from datetime import datetime, timezone
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0012'
down_revision: Union[str, Sequence[str], None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    outbox = op.create_table('outbox',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('group_key', sa.String(length=255), nullable=False),
    sa.Column('coalesce', sa.String(length=255), nullable=True),
    sa.Column('method', sa.String(length=64), nullable=False),
    sa.Column('args', sa.JSON(), nullable=False),
    sa.Column('refs', sa.JSON(), nullable=False),
    sa.Column('then', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('not_before', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.String(length=64), nullable=True),
    sa.Column('job', sa.String(length=64), nullable=True),
    sa.Column('first_failed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_failed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('parked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('as_of', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('key', name=op.f('uq_outbox_key'))
    )
    op.create_index(op.f('ix_outbox_group_key'), 'outbox', ['group_key'], unique=False)
    op.create_index(op.f('ix_outbox_sent_at'), 'outbox', ['sent_at'], unique=False)
    bind = op.get_bind()
    now = datetime.now(timezone.utc)
    rows, seen = [], set()
    for number, channel, ts in bind.execute(sa.text("SELECT escalation_id, channel, ts FROM escalation_posts")):
        key = f"esc:{number}:card:{channel}"
        seen.add(key)
        rows.append({"key": key, "group_key": f"esc:{number}@{channel}", "method": "chat.postMessage", "args": {},
                     "refs": {}, "created_at": now, "sent_at": now, "result": {"channel": channel, "ts": ts},
                     "attempts": 0})
    for (key,) in bind.execute(sa.text('SELECT "key" FROM claims WHERE "key" LIKE \'esc:%\' AND done_at IS NOT NULL')):
        if key not in seen:
            rows.append({"key": key, "group_key": "legacy", "method": "legacy", "args": {}, "refs": {},
                         "created_at": now, "sent_at": now, "result": {}, "attempts": 0})
    if rows:
        op.bulk_insert(outbox, rows)


def downgrade() -> None:
    op.drop_index(op.f('ix_outbox_sent_at'), table_name='outbox')
    op.drop_index(op.f('ix_outbox_group_key'), table_name='outbox')
    op.drop_table('outbox')
