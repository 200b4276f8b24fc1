"""standups on the outbox: the stand-up messages already sent (prompts, day messages, thread replies with their
channel and ts, so that updates of them find them; reminders and summaries from their completed claims) of
the last week are carried over as sent, under the same keys, so nothing goes out twice

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-08

"""
from datetime import date, datetime, timedelta, timezone
from typing import Any, Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0022'
down_revision: Union[str, Sequence[str], None] = '0021'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

WEEK = timedelta(days=7)
"""Older days are neither summarised nor published again (the job looks back three days)."""


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def upgrade() -> None:
    bind = op.get_bind()
    now = datetime.now(timezone.utc)
    since = now.date() - WEEK
    outbox = sa.table('outbox', sa.column('key', sa.String), sa.column('group_key', sa.String),
                      sa.column('method', sa.String), sa.column('args', sa.JSON), sa.column('refs', sa.JSON),
                      sa.column('created_at', sa.DateTime(timezone=True)),
                      sa.column('sent_at', sa.DateTime(timezone=True)), sa.column('result', sa.JSON),
                      sa.column('attempts', sa.Integer))
    there = {key for (key,) in bind.execute(sa.text('SELECT "key" FROM outbox WHERE "key" LIKE \'standup:%\''))}
    rows: dict[str, dict[str, Any]] = {}

    def sent(key: str, group: str, channel: str | None, ts: str | None) -> None:
        if key not in there and key not in rows:
            rows[key] = {"key": key, "group_key": group, "method": "chat.postMessage", "args": {}, "refs": {},
                         "created_at": now, "sent_at": now, "result": {"channel": channel, "ts": ts} if ts else {},
                         "attempts": 0}

    days = {}
    for team, day, channel, ts in bind.execute(sa.text(
            "SELECT t.key, d.day, d.channel, d.ts FROM standup_days d JOIN teams t ON t.id = d.team_id")):
        on = _day(day)
        days[(team, on)] = channel
        if on >= since and ts:
            sent(f"standup:{team}:{on.isoformat()}:parent", f"standup:{team}:{on.isoformat()}@report", channel, ts)
    for team, user, day, prompt_channel, prompt_ts, reply_ts in bind.execute(sa.text(
            "SELECT t.key, e.user_id, e.day, e.prompt_channel, e.prompt_ts, e.reply_ts FROM standup_entries e "
            "JOIN teams t ON t.id = e.team_id")):
        on = _day(day)
        if on < since:
            continue
        if prompt_ts:
            sent(f"standup:{team}:{on.isoformat()}:prompt:{user}", f"standup:{team}:{on.isoformat()}@{user}",
                 prompt_channel, prompt_ts)
        if reply_ts:
            sent(f"standup:{team}:{on.isoformat()}:reply:{user}", f"standup:{team}:{on.isoformat()}@report",
                 days.get((team, on)), reply_ts)
    for (key,) in bind.execute(sa.text(
            'SELECT "key" FROM claims WHERE "key" LIKE \'standup:%\' AND done_at IS NOT NULL')):
        parts = key.split(":")
        try:
            recent = len(parts) >= 4 and date.fromisoformat(parts[2]) >= since
        except ValueError:
            recent = False
        if recent:
            sent(key, "legacy", None, None)
    if rows:
        op.bulk_insert(outbox, list(rows.values()))


def downgrade() -> None:
    """The carried-over rows stay: they are what was sent."""
