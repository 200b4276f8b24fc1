"""pulse on the outbox: the pulse DMs and reports already sent (completed `pulse:` and `pulse-rollup:` claims)
are carried over as sent outbox rows under the same keys, so nothing goes out twice after the upgrade

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-10

"""
from datetime import datetime, timezone
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0019'
down_revision: Union[str, Sequence[str], None] = '0018'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    bind = op.get_bind()
    outbox = sa.table('outbox', sa.column('key', sa.String), sa.column('group_key', sa.String),
                      sa.column('method', sa.String), sa.column('args', sa.JSON), sa.column('refs', sa.JSON),
                      sa.column('created_at', sa.DateTime(timezone=True)),
                      sa.column('sent_at', sa.DateTime(timezone=True)), sa.column('result', sa.JSON),
                      sa.column('attempts', sa.Integer))
    there = {key for (key,) in bind.execute(sa.text(
        'SELECT "key" FROM outbox WHERE "key" LIKE \'pulse:%\' OR "key" LIKE \'pulse-rollup:%\''))}
    now = datetime.now(timezone.utc)
    rows = [{"key": key, "group_key": "legacy", "method": "legacy", "args": {}, "refs": {}, "created_at": now,
             "sent_at": now, "result": {}, "attempts": 0}
            for (key,) in bind.execute(sa.text(
                'SELECT "key" FROM claims WHERE ("key" LIKE \'pulse:%\' OR "key" LIKE \'pulse-rollup:%\') '
                'AND done_at IS NOT NULL'))
            if key not in there and ":form:" not in key]
    if rows:
        op.bulk_insert(outbox, rows)


def downgrade() -> None:
    op.execute(sa.text('DELETE FROM outbox WHERE group_key = \'legacy\' AND '
                       '("key" LIKE \'pulse:%\' OR "key" LIKE \'pulse-rollup:%\')'))
