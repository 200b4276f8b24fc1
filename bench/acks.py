"""How fast Slack gets its answer: `process_before_response=True` (supportbot) against Bolt's default.

Both variants serve the same signed `/escalate list` requests (a team, 50 open escalations, real SQLite,
the fake Slack) through the real ASGI front, in one run. Reported as ratios, so the machine cancels out.

    python -m bench.acks [--requests 200] [--concurrency 1 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import httpx

from bot.app import Supportbot, build_bolt, create_app
from bot.seed import seed_escalation, seed_teams
from bot.settings import Settings
from storage.migrate import upgrade
from tests.conftest import TEAM_YAML
from tests.kit.fake_slack import FakeSlack
from tests.kit.signing import signed_headers

SECRET = "bench-signing-secret"


async def prepare(database: Path, slack: FakeSlack) -> Supportbot:
    settings = Settings(SLACK_BOT_TOKEN="xoxb-bench", SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=slack.api_url,
                        DATABASE_URL=f"sqlite:///{database}", _env_file=None)
    bot = create_app(settings)
    await upgrade(bot.services.engine)
    now = datetime.now(UTC)
    async with bot.services.db() as session:
        team = (await seed_teams(session, TEAM_YAML, now=now)).find("tier1")
        assert team is not None
        for number in range(50):
            await seed_escalation(session, team, now=now - timedelta(hours=number), key=f"bench:{number}",
                                  path=team.active_paths[number % 2].key, customer=f"Customer {number}",
                                  priority="P2")
    return bot


async def measure(app: Supportbot, *, before_response: bool, requests: int,
                  concurrency: int) -> tuple[float, float]:
    """(median latency in ms, requests per second)."""
    bolt = build_bolt(app.services, app.settings, process_before_response=before_response)
    bot = Supportbot(settings=app.settings, bolt=bolt, services=app.services, jobs=[])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=bot.asgi()), base_url="http://bench") as http:
        latencies: list[float] = []
        gate = asyncio.Semaphore(concurrency)

        async def one(number: int) -> None:
            body = urlencode({"command": "/escalate", "text": "list", "user_id": "U0AGENT1", "team_id": "T0TEAM",
                              "channel_id": "C0HERE", "trigger_id": f"{number}.1.x",
                              "response_url": "http://127.0.0.1:9/hooks/x"})
            async with gate:
                started = time.perf_counter()
                reply = await http.post("/slack/events", content=body,
                                        headers=signed_headers(SECRET, body, int(time.time())))
                latencies.append(time.perf_counter() - started)
            assert reply.status_code == 200 and "open escalations" in reply.text, reply.text[:200]

        await asyncio.gather(*(one(n) for n in range(10)))  # warm-up (auth.test, caches)
        latencies.clear()
        started = time.perf_counter()
        await asyncio.gather(*(one(n) for n in range(requests)))
        elapsed = time.perf_counter() - started
    return statistics.median(latencies) * 1000, requests / elapsed


async def main(requests: int, levels: list[int]) -> None:
    print(f"/escalate list: {requests} signed requests, SQLite, 50 open escalations; best of two runs each")
    print(f"{'in flight':>9}  {'variant':46} {'median latency':>15} {'requests/s':>11}")
    with FakeSlack() as slack, tempfile.TemporaryDirectory() as folder:
        app = await prepare(Path(folder) / "bench.db", slack)
        try:
            for concurrency in levels:
                results: dict[bool, tuple[float, float]] = {}
                for before_response in (False, True, False, True):  # interleaved
                    latency, rate = await measure(app, before_response=before_response, requests=requests,
                                                  concurrency=concurrency)
                    best = results.get(before_response, (float("inf"), 0.0))
                    results[before_response] = (min(best[0], latency), max(best[1], rate))
                (base_ms, base_rps), (ours_ms, ours_rps) = results[False], results[True]
                print(f"{concurrency:>9}  {'Bolt default (process_before_response=False)':46} "
                      f"{base_ms:12.1f} ms {base_rps:11.0f}")
                print(f"{concurrency:>9}  {'supportbot (process_before_response=True)':46} "
                      f"{ours_ms:12.1f} ms {ours_rps:11.0f}")
                print(f"{concurrency:>9}  ratio: latency ÷{base_ms / ours_ms:.2f}, "
                      f"throughput ×{ours_rps / base_rps:.2f}")
        finally:
            await app.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 20])
    arguments = parser.parse_args()
    asyncio.run(main(arguments.requests, arguments.concurrency))
