"""What supportbot asks of its database per command path of `bench.command_path`: statements and commits in the
request (from its arrival to its answer) and per request in all (its messages sent by the dispatcher included).

Counted in this process, after the rounds, on the run's database (the servers idle meanwhile), with the real app
(`create_app`, its ASGI app, the same signed requests) sending to the run's fake Slack; SQLAlchemy's engine
events count every statement and every commit. The dispatcher is not woken by the commits here: its sends are
counted when the outbox is drained after the requests, so that nothing of it falls in a request's count:

- *in the request*: one request at a time (the most any of `REQUESTS` took);
- *alone*: one request and then its sends, the dispatcher doing nothing else (the worst case per request);
- *in a burst*: `burst` requests (the rounds' requests in flight), then their sends together: the dispatcher
    claims and completes many at once, as under load.

App Home refreshes (debounced: one per person after a burst of changes) are not counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bench.command_path_paths import acknowledge_request, submission_request
from bench.command_path_servers import SECRET, TOKEN, USER, command_request

REQUESTS = 3
GOAL_REQUEST_STATEMENTS, GOAL_REQUEST_COMMITS, GOAL_COMMITS_PER_CLICK = 4, 1, 3


@dataclass
class Counts:
    path: str
    request: tuple[int, int]  # statements, commits: the most a request made before its answer
    alone: tuple[int, int]  # one request and its sends, in all
    burst: tuple[float, float]  # per request of a burst, its sends included
    burst_size: int

    @property
    def met(self) -> bool:
        statements, commits = self.request
        return statements <= GOAL_REQUEST_STATEMENTS and commits <= GOAL_REQUEST_COMMITS and \
            self.burst[1] <= GOAL_COMMITS_PER_CLICK

    def line(self) -> str:
        (statements, commits), (all_statements, all_commits) = self.request, self.alone
        return (f"database work, {self.path}: in the request {statements} statements and {commits} commit(s) (goal "
                f"≤ {GOAL_REQUEST_STATEMENTS} and {GOAL_REQUEST_COMMITS}: "
                f"{'met' if statements <= GOAL_REQUEST_STATEMENTS and commits <= GOAL_REQUEST_COMMITS else 'NOT met'});"
                f" per request in all (its sends included): {self.burst[0]:.1f} statements and {self.burst[1]:.1f}"
                f" commits in a burst of {self.burst_size} (goal ≤ {GOAL_COMMITS_PER_CLICK} commits: "
                f"{'met' if self.burst[1] <= GOAL_COMMITS_PER_CLICK else 'NOT met'}), {all_statements} and "
                f"{all_commits} alone")


class Tally:
    """Statements and commits on an engine since the last `reset`."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.statements = self.commits = 0
        event.listen(engine.sync_engine, "before_cursor_execute", self._statement)
        event.listen(engine.sync_engine, "commit", self._commit)

    def _statement(self, *_args: Any) -> None:
        self.statements += 1

    def _commit(self, *_args: Any) -> None:
        self.commits += 1

    def reset(self) -> tuple[int, int]:
        counted = (self.statements, self.commits)
        self.statements = self.commits = 0
        return counted


async def count_paths(database_url: str, api_url: str, modal: dict[str, Any], paths: tuple[str, ...], *,
                      burst: int) -> list[Counts]:
    """The counts of each of `paths` (each request is answered with an empty 200, or this raises)."""
    import httpx

    from bot.app import create_app
    from bot.settings import Settings

    settings = Settings(SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=api_url,
                        DATABASE_URL=database_url, _env_file=None)
    app = create_app(settings, directory_check_every=3600.0, home_refresh_after=3600.0, send_in_background=False)
    tally = Tally(app.services.engine)
    found: list[Counts] = []
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app.asgi()), base_url="http://bench") as http:

            async def send(request: tuple[bytes, dict[str, str]]) -> None:
                body, headers = request
                answer = await http.post("/slack/events", content=body, headers=headers)
                if answer.status_code != 200 or answer.text:
                    raise RuntimeError(f"supportbot answered {answer.status_code} {answer.text[:200]!r}")

            async def logged(count: int) -> list[int]:
                """`count` new escalations, their cards posted: their numbers."""
                from bench.command_path_paths import open_escalations

                before = set(await open_escalations(database_url))
                for _ in range(count):
                    await send(submission_request(SECRET, USER, modal))
                await app.services.outbox.drain()
                return sorted(set(await open_escalations(database_url)) - before)

            for path in paths:
                numbers = iter(await logged(1 + REQUESTS + 1 + burst)) if path == "acknowledge" else iter(())

                def request(path: str = path, numbers: Any = numbers) -> tuple[bytes, dict[str, str]]:
                    if path == "escalate":
                        return command_request()
                    if path == "submit":
                        return submission_request(SECRET, USER, modal)
                    return acknowledge_request(SECRET, USER, next(numbers))

                await send(request())  # warm-up: the directory, the client's session
                await app.services.outbox.drain()
                tally.reset()
                most = (0, 0)
                for _ in range(REQUESTS):
                    await send(request())
                    made = tally.reset()
                    most = (max(most[0], made[0]), max(most[1], made[1]))
                    await app.services.outbox.drain()
                    tally.reset()
                await send(request())
                await app.services.outbox.drain()
                alone = tally.reset()
                for _ in range(burst):
                    await send(request())
                await app.services.outbox.drain()
                statements, commits = tally.reset()
                found.append(Counts(path, most, alone, (statements / burst, commits / burst), burst))
    finally:
        await app.close()
    return found
