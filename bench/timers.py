"""The cost of an `escalation-timers` tick with many open escalations whose reminders are all sent:
one read of the outbox keys already written for the whole plan (supportbot) against writing each reminder on its
own, a read and a refused insert per reminder (baseline).

    python -m bench.timers [--escalations 500] [--ticks 5]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app import Supportbot, create_app
from bot.rules.escalations import due_reminders
from bot.seed import seed_escalation, seed_teams
from bot.settings import Settings
from handlers.escalations import announce
from handlers.escalations.jobs import run_timers
from handlers.services import Services
from storage import escalations, outbox
from storage.migrate import upgrade
from tests.conftest import TEAM_YAML
from tests.kit.fake_slack import FakeSlack


async def prepare(database: Path, slack: FakeSlack, count: int, now: datetime) -> Supportbot:
    settings = Settings(SLACK_BOT_TOKEN="xoxb-bench", SLACK_API_URL=slack.api_url,
                        DATABASE_URL=f"sqlite:///{database}", _env_file=None)
    bot = create_app(settings)
    await upgrade(bot.services.engine)
    async with bot.services.db() as session:
        team = (await seed_teams(session, TEAM_YAML, now=now)).find("tier1")
        assert team is not None
        for number in range(count):
            await seed_escalation(session, team, now=now - timedelta(hours=number % 24 + 1), key=f"bench:{number}",
                                  path=team.active_paths[number % 2].key, customer=f"Customer {number}",
                                  severity="critical", impact="widespread", urgency="blocking")
    await run_timers(bot.services, now)  # posts every card and sends every due reminder once
    return bot


async def baseline_tick(services: Services, now: datetime) -> int:
    """The rejected approach: write every due reminder to the outbox on its own; each finds its key written."""
    written = 0
    directory = await services.directory.current()
    async with services.db() as session:
        for escalation in await escalations.active(session, resolved_since=now):
            team = directory.team(escalation.team_id)
            for due in due_reminders(escalation, team.policy, now):
                written += await outbox.write(session, [announce.reminder(escalation, team, due)], now=now)
        await session.commit()
    return written


async def timed(tick: object, services: Services, now: datetime, ticks: int) -> float:
    best = float("inf")
    for _ in range(ticks):
        started = time.perf_counter()
        assert await tick(services, now) == 0  # type: ignore[operator]  # everything was sent already
        best = min(best, time.perf_counter() - started)
    return best * 1000


async def main(count: int, ticks: int) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    with FakeSlack() as slack, tempfile.TemporaryDirectory() as folder:
        bot = await prepare(Path(folder) / "bench.db", slack, count, now)
        try:
            baseline = await timed(baseline_tick, bot.services, now, ticks)
            ours = await timed(run_timers, bot.services, now, ticks)
        finally:
            await bot.close()
    print(f"escalation-timers tick, {count} open escalations, every reminder already sent, SQLite, best of {ticks}")
    print(f"{'write each reminder (baseline)':36} {baseline:9.1f} ms")
    print(f"{'one plan, one read of its keys (ours)':36} {ours:9.1f} ms")
    print(f"ratio: ×{baseline / ours:.1f} faster")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--escalations", type=int, default=500)
    parser.add_argument("--ticks", type=int, default=5)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.escalations, arguments.ticks))
