"""the KPI digest, its chart, alerts and baseline summaries, the helpdesk notices and the weekly escalation review
move to the outbox: what the claims say was sent already is carried over as sent, under the same keys, so
nothing goes out twice after the upgrade. (A team-day whose digest went out but whose chart or alerts were still
refused at the upgrade is planned no more: its chart is not sent; an alert left unsent is said the next day.)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-10

"""
from datetime import datetime, timezone
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0020'
down_revision: Union[str, Sequence[str], None] = '0019'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

PREFIXES = ("kpi-digest:", "kpi-alert:", "kpi-baseline:", "escalation-review:", "helpdesk-stale:",
            "helpdesk-recovered:")


def upgrade() -> None:
    bind = op.get_bind()
    outbox = sa.table("outbox", sa.column("key", sa.String), sa.column("group_key", sa.String),
                      sa.column("method", sa.String), sa.column("args", sa.JSON), sa.column("refs", sa.JSON),
                      sa.column("created_at", sa.DateTime(timezone=True)),
                      sa.column("sent_at", sa.DateTime(timezone=True)), sa.column("result", sa.JSON),
                      sa.column("attempts", sa.Integer))
    there = {key for (key,) in bind.execute(sa.text('SELECT "key" FROM outbox'))}
    now = datetime.now(timezone.utc)
    rows = []
    for prefix in PREFIXES:
        found = bind.execute(sa.text('SELECT "key" FROM claims WHERE "key" LIKE :prefix AND done_at IS NOT NULL'),
                             {"prefix": prefix + "%"})
        for (key,) in found:
            if key not in there and not key.endswith(":finished"):
                rows.append({"key": key, "group_key": "legacy", "method": "legacy", "args": {}, "refs": {},
                             "created_at": now, "sent_at": now, "result": {}, "attempts": 0})
    if rows:
        op.bulk_insert(outbox, rows)


def downgrade() -> None:
    """The carried-over rows stay: the claims they came from are still there."""
