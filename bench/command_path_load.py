"""The load of `bench.command_path`: its closed-loop workers, one measured round (the CPU of the server, the load
side and anything else on the two cores), waiting for a quiet machine, and counting a round's Slack calls once
they have all arrived: supportbot answers first and sends after (the outbox), so a round of it ends when its
outbox holds nothing more to send."""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Awaitable, Callable

import aiohttp

from bench.command_path_paths import Builder
from bench.command_path_report import Round
from bench.command_path_servers import (
    CLIENT_KEEP_ALIVE,
    CLOCK_TICKS,
    QUIET,
    REQUEST_TIMEOUT,
    FakeSlackProcess,
    Server,
    core_ticks,
    cpu_seconds,
)

DRAIN_LIMIT = 120.0
"""Seconds a round's sends may take to leave supportbot's outbox after its load ends."""


def load_session(in_flight: int) -> aiohttp.ClientSession:
    """The load generator's client: at most `in_flight` connections, a pooled one reused only while idle under
    CLIENT_KEEP_ALIVE. A server closes a connection idle for SERVER_KEEP_ALIVE; one reused just after (its FIN not
    yet read: this loop busy with another server's round) would fail with ServerDisconnectedError."""
    connector = aiohttp.TCPConnector(limit=in_flight, keepalive_timeout=CLIENT_KEEP_ALIVE)
    return aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT))


async def load(http: aiohttp.ClientSession, url: str, seconds: float, in_flight: int, result: Round,
               build: Builder) -> None:
    """`in_flight` closed-loop workers for `seconds` (or until `build` has no more requests: StopIteration);
    every answer must be an empty 200."""
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        while time.perf_counter() < deadline:
            try:
                body, headers = build()
            except StopIteration:
                result.ran_out = True
                return
            started = time.perf_counter()
            try:
                async with http.post(f"{url}/slack/events", data=body, headers=headers) as answer:
                    text = await answer.text()
                    status = answer.status
            except (aiohttp.ClientError, TimeoutError) as error:
                result.fail(type(error).__name__)
                continue
            if status != 200:
                result.fail(f"HTTP {status}")
            elif text:
                result.fail(f"200 with a body ({text[:80]!r})")
            else:
                result.latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    result.elapsed = time.perf_counter() - started


Drained = Callable[[], Awaitable[int]]
"""Waits (bounded) until a server has sent everything its answered requests imply; how many sends still wait."""


async def measured(http: aiohttp.ClientSession, server: Server, idle: list[Server], slack: FakeSlackProcess,
                   args: argparse.Namespace, cores: tuple[int | None, int | None], build: Builder,
                   drained: Drained | None = None) -> Round:
    """One round against `server` (the `idle` ones keep running), with the CPU it and the others used; its
    Slack calls counted once `drained` says the server has sent them all (its CPU for them included)."""
    slack.reset()
    result = Round(server.name)
    load_pids, idle_pids = [slack.pid, os.getpid()], [s.pid for s in idle]
    app_before, load_before = cpu_seconds(server.pid), sum(map(cpu_seconds, load_pids))
    idle_before, ticks_before = sum(map(cpu_seconds, idle_pids)), core_ticks()
    await load(http, server.url, args.seconds, args.in_flight, result, build)
    ticks = core_ticks()
    result.load_cpu = sum(map(cpu_seconds, load_pids)) - load_before
    idle_cpu = sum(map(cpu_seconds, idle_pids)) - idle_before
    if drained is not None:
        result.unsent = await drained()  # supportbot answers first and sends after (the outbox)
    result.calls = await settled(slack)
    result.app_cpu = cpu_seconds(server.pid) - app_before  # its sends after the answers included
    app_core, load_core = cores
    if app_core is not None and load_core is not None:
        delta = {core: [now - then for now, then in zip(ticks[core], ticks_before[core], strict=True)]
                 for core in (app_core, load_core)}
        result.core0 = delta[app_core][0] / max(delta[app_core][2], 1)
        result.core1 = delta[load_core][0] / max(delta[load_core][2], 1)
        result.other = foreign(delta, result.app_cpu + result.load_cpu + idle_cpu, result.elapsed)
        result.stolen = sum(delta[core][1] for core in delta) / max(sum(delta[core][2] for core in delta), 1)
    return result


async def settled(slack: FakeSlackProcess, limit: float = 15.0) -> dict[str, int]:
    """The calls of the round, once they stop arriving (at most `limit` seconds after the load ends)."""
    calls, deadline = slack.reset(), time.perf_counter() + limit
    while time.perf_counter() < deadline:
        await asyncio.sleep(0.2)
        more = slack.reset()
        if not any(more.values()):
            break
        calls = {method: calls.get(method, 0) + more.get(method, 0) for method in {*calls, *more}}
    return calls


def foreign(delta: dict[int, list[int]], ours: float, elapsed: float) -> float:
    """CPU (in cores) the cores of `delta` (busy, stolen, all ticks) spent on anything but `ours` CPU seconds."""
    busy = sum(ticks[0] for ticks in delta.values()) / CLOCK_TICKS
    return max(0.0, busy - ours) / max(elapsed, 1e-9)


async def wait_quiet(pids: list[int], cores: tuple[int | None, int | None], limit: float) -> float:
    """Wait (at most `limit` seconds) until other work uses under QUIET on the two cores; the seconds waited.
    Other engineers' test runs share the machine: a round measured beside one says little."""
    app_core, load_core = cores
    started = time.perf_counter()
    if app_core is None or load_core is None:
        return 0.0
    while time.perf_counter() - started < limit:
        ticks_before, ours_before, window = core_ticks(), sum(map(cpu_seconds, pids)), time.perf_counter()
        await asyncio.sleep(0.5)
        ticks = core_ticks()
        delta = {core: [now - then for now, then in zip(ticks[core], ticks_before[core], strict=True)]
                 for core in (app_core, load_core)}
        if foreign(delta, sum(map(cpu_seconds, pids)) - ours_before, time.perf_counter() - window) < QUIET:
            break
    return time.perf_counter() - started




async def outbox_drained(database_url: str, limit: float = DRAIN_LIMIT) -> int:
    """Wait until supportbot's outbox (in `database_url`) has nothing left to send, polling its table at most
    `limit` seconds; how many messages still wait (parked ones included: the fake Slack never refuses)."""
    from sqlalchemy import text

    from storage.db import make_engine

    engine = make_engine(database_url)
    deadline = time.perf_counter() + limit
    try:
        while True:
            async with engine.connect() as connection:
                left = int((await connection.execute(
                    text("SELECT count(*) FROM outbox WHERE sent_at IS NULL"))).scalar_one())
            if not left or time.perf_counter() >= deadline:
                return left
            await asyncio.sleep(0.2)
    finally:
        await engine.dispose()
