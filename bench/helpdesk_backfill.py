"""A backfill from the Zendesk fake at its documented rate limit, against the time that limit allows.

`supportbot helpdesk sync --since …` (the real command, in its own process, on a fresh SQLite database) fetches
N tickets from FakeZendesk (tests/kit/fake_zendesk.py) through the incremental export, pages of 1,000, while
the fake enforces Zendesk's limit on the incremental exports: 10 requests a minute. **The clock is scaled**: the
limit's window is 6 s instead of 60 (×10), so 100,000 tickets (100 pages, and one page of metric events) take
about a minute rather than ten. The floor is the time the limit allows for the requests the sync made: with R
requests of at most L per window W, the last can be answered no sooner than (ceil(R / L) − 1) × W after the
first. Goal: the command's whole wall time (start-up included) within 1.2× that, and memory flat: the
command's RSS, sampled every 0.1 s from /proc, the same when 10% of the tickets are synced and at the end (the
sampled peak is shown; not `ru_maxrss`, which Linux starts from this process's RSS at the fork, and this process
holds the fake's tickets).

    python -m bench.helpdesk_backfill [--tickets 100000] [--window 6] [--page 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.kit.fake_zendesk import CLIENT_ID, CLIENT_SECRET, EXPORT_LIMIT, FakeZendesk

GOAL = 1.2
FLAT = 1.10
"""RSS at the end over RSS at 10%: at most this for "flat"."""
PAGE = 1000
YAML = """
helpdesks:
  - key: zendesk
    kind: zendesk
    url: {url}
    client_id: {client_id}
    client_secret_file: {secret}
teams:
  - key: tier1
    name: Tier 1
    timezone: America/New_York
    members: [U0AGENT1]
    managers: [U0MANAGER]
    helpdesk: {{source: zendesk, match: {{group: "Tier 1"}}}}
"""
PROGRESS = re.compile(r"zendesk: ([\d,]+) tickets synced so far")


async def prepare(database: Path, config: str) -> None:
    """A migrated database with the team and the source, in a child process (its imports stay out of ours)."""
    from bot.rules.team_config import parse_teams
    from storage import teams
    from storage.db import make_engine, session_factory
    from storage.migrate import upgrade

    engine = make_engine(f"sqlite:///{database}")
    try:
        await upgrade(engine)
        async with session_factory(engine)() as session:
            await teams.apply(session, parse_teams(config),
                              now=datetime(2026, 9, 1, tzinfo=UTC))
            await session.commit()
    finally:
        await engine.dispose()


def rss_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def fill(fake: FakeZendesk, count: int) -> None:
    fake.add_group(11, "Tier 1")
    start = datetime(2026, 9, 2, tzinfo=UTC)
    for number in range(1, count + 1):
        created = start + timedelta(seconds=19 * number)
        solved = number % 3 != 0
        fake.put(number, created=created, status="solved" if solved else "open", group_id=11,
                 channel=("email", "web", "chat")[number % 3], score=("good", "bad", None)[number % 3],
                 reply_minutes=5 + number % 240, solved=created + timedelta(hours=4) if solved else None,
                 reopens=int(number % 11 == 0), replies=1 + number % 4)


def main(count: int, window: float, page: int) -> None:
    allowed_per_window = EXPORT_LIMIT[0]
    with tempfile.TemporaryDirectory() as folder, FakeZendesk() as fake:
        fake.page_size = page
        fill(fake, count)
        secret, config, database = Path(folder) / "secret", Path(folder) / "teams.yaml", Path(folder) / "bench.db"
        secret.write_text(CLIENT_SECRET, encoding="utf-8")
        config.write_text(YAML.format(url=fake.url, client_id=CLIENT_ID, secret=secret), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SUPPORTBOT_"))}
        subprocess.run([sys.executable, "-m", "bench.helpdesk_backfill", "--prepare", str(database), str(config)],
                       env=env, check=True)
        fake.export_limit = (allowed_per_window, window)

        started = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-m", "bot", "helpdesk", "sync", "--since", "2026-09-01"],
            env={**env, "DATABASE_URL": f"sqlite:///{database}", "LOG_LEVEL": "WARNING"},
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        synced = [0]
        errors: list[str] = []

        def read_progress() -> None:
            assert child.stderr is not None
            for line in child.stderr:
                found = PROGRESS.search(line)
                if found:
                    synced[0] = int(found[1].replace(",", ""))
                else:
                    errors.append(line)

        reader = threading.Thread(target=read_progress, daemon=True)
        reader.start()
        samples: list[tuple[float, int, float]] = []  # (seconds, tickets synced so far, RSS MB)
        while child.poll() is None:
            rss = rss_mb(child.pid)
            if rss is not None:
                samples.append((time.perf_counter() - started, synced[0], rss))
            time.sleep(0.1)
        elapsed = time.perf_counter() - started
        reader.join(10)
        assert child.stdout is not None
        out = child.stdout.read()
        if child.returncode != 0:
            raise SystemExit(f"helpdesk sync failed ({child.returncode}):\n{out}{''.join(errors)[-2000:]}")
        requests, refused, busy = len(fake.exported), fake.refused, fake.busy
        first, last = fake.exported[0], fake.exported[-1]
    floor = (math.ceil(requests / allowed_per_window) - 1) * window
    tenth = next((rss for _at, done, rss in samples if done >= count // 10), samples[0][2])
    end, peak = samples[-1][2], max(rss for _at, _done, rss in samples)
    ratio = elapsed / floor if floor else float("inf")
    print(f"helpdesk backfill: {count:,} tickets from FakeZendesk, pages of {page:,}, SQLite, "
          f"`supportbot helpdesk sync --since` in its own process")
    print(f"rate limit: {allowed_per_window} incremental requests per {window:g} s (Zendesk's 10 a minute, the clock "
          f"×{60 / window:g})")
    print(f"{out.strip()}")
    print(f"{'the limit allows (floor)':28} {floor:7.1f} s  for {requests} incremental requests "
          f"({refused} answered 429 and retried)")
    span = last - first
    print(f"{'supportbot helpdesk sync':28} {elapsed:7.1f} s  (start-up included; first to last request "
          f"{span:.1f} s, ×{span / floor if floor else float('inf'):.2f} the floor; {count / elapsed:,.0f} tickets/s)")
    print(f"{'the fake answering':28} {busy:7.1f} s  (its own time in its handlers, in the bench's process)")
    print(f"memory: RSS {tenth:.0f} MB at 10% of the tickets, {end:.0f} MB at the end, peak {peak:.0f} MB "
          f"(end ÷ 10%: ×{end / tenth:.2f}; {'flat' if end <= tenth * FLAT else 'NOT flat'})")
    verdict = "met" if ratio <= GOAL else "MISSED"
    print(f"ratio: ×{ratio:.2f} the time the limit allows (goal ≤ {GOAL:g}: {verdict})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--window", type=float, default=6.0,
                        help="seconds of the limit's window (Zendesk's is 60; the default scales the clock ×10)")
    parser.add_argument("--page", type=int, default=PAGE, help="tickets per page of the export (Zendesk's: 1,000)")
    parser.add_argument("--prepare", nargs=2, metavar=("DATABASE", "CONFIG"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.prepare:
        asyncio.run(prepare(Path(arguments.prepare[0]), Path(arguments.prepare[1]).read_text(encoding="utf-8")))
    else:
        main(arguments.tickets, arguments.window, arguments.page)
