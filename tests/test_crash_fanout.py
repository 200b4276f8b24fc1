"""A crash in the middle of a fan-out: `kill -9` of `supportbot jobs run` while it sends stand-up prompts
to 500 members, and while it posts the digests of 50 teams; the same command run again after the lease
sends what is missing. Every member and every team gets one; the only possible duplicates are the units whose
requests were in flight at the crash (the digest sends one unit at a time; the outbox's dispatcher, which
sends the prompts, at most `handlers.outbox.CRASH_DUPLICATES`: those in flight and those sent whose completions
were not committed yet), and each is named in the restarted run's log as
taken over."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from bot.rules import keys
from bot.rules.kpi_days import digest_key
from handlers.outbox import AT_ONCE, CLAIMED_PER_SENDER, CRASH_DUPLICATES
from storage import outbox
from tests.kit.fake_slack import FakeSlack
from tests.test_cli import SUPPORTBOT, supportbot
from tests.test_cli import env as env  # the fixture, used by name

IN_FLIGHT = 1
"""Units a fan-out has in flight at once (each job sends one unit after another): the duplicate bound."""
KILL_AFTER = 60
MEMBERS = [f"U0M{n:04d}" for n in range(500)]
TEAMS = [f"t{n:02d}" for n in range(50)]
STANDUP_AT = datetime.fromisoformat("2026-11-18T14:30:00+00:00")  # Wednesday 09:30 in New York
DIGEST_AT = datetime.fromisoformat("2026-11-18T15:00:00+00:00")  # 10:00 in New York: Tuesday's digest is due
RESTART = outbox.LEASE + timedelta(minutes=5)  # the dead run's claimed messages can be taken over
CSV_HEADER = "id,team,created_at,first_response_at,solved_at,status,channel,csat,reopens,agent_replies,sla_breached"


def standup_yaml() -> str:
    return ("teams:\n  - key: crew\n    name: Crew\n    timezone: America/New_York\n"
            f"    members: [{', '.join(MEMBERS)}]\n    managers: [U0MANAGER]\n"
            "    channels: {standup: C0STANDUP}\n"
            "    standup: {time: \"09:30\", reminder_minutes: 60, window_hours: 4}\n")


def channel(key: str) -> str:
    return f"C0D{key.upper()}"


def digest_yaml() -> str:
    return "teams:\n" + "".join(
        f"  - key: {key}\n    name: Team {key}\n    timezone: America/New_York\n    members: [U0A{key.upper()}]\n"
        f"    managers: [U0B{key.upper()}]\n    channels: {{digest: {channel(key)}}}\n    digest: {{time: \"09:00\"}}\n"
        for key in TEAMS)


def tickets_csv() -> str:
    rows = [f"{key}-{n},{key},2026-11-17T{15 + n}:00:00Z,2026-11-17T{15 + n}:20:00Z,2026-11-17T{17 + n}:00:00Z,"
            "solved,email,good,0,1,false" for key in TEAMS for n in range(3)]
    return "\n".join([CSV_HEADER, *rows]) + "\n"


def prepare(env: dict[str, str], folder: Path, slack: FakeSlack, teams_yaml: str) -> dict[str, str]:
    env = {**env, "SLACK_BOT_TOKEN": "xoxb-crash", "SLACK_API_URL": slack.api_url, "LOG_LEVEL": "WARNING"}
    (folder / "teams.yml").write_text(teams_yaml, encoding="utf-8")
    applied = supportbot("config", "apply", str(folder / "teams.yml"), env=env, cwd=folder)
    assert applied.returncode == 0, applied.stderr
    return env


def crash_when(env: dict[str, str], folder: Path, job: str, now: datetime, sent: Callable[[], int],
               enough: int) -> None:
    """Start `jobs run JOB --now NOW`, and SIGKILL it as soon as `sent()` reaches `enough` (bounded)."""
    output = folder / f"{job}-killed.log"
    log = output.open("wb")
    process = subprocess.Popen([SUPPORTBOT, "jobs", "run", job, "--now", now.isoformat()], env=env, cwd=folder,
                               stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while sent() < enough:
            assert process.poll() is None, f"{job} ended before the crash:\n{output.read_text()}"
            assert time.monotonic() < deadline, f"{job} sent only {sent()} within 120 s"
            time.sleep(0.005)
        process.kill()
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        log.close()


def restart(env: dict[str, str], folder: Path, job: str, now: datetime) -> set[str]:
    """The same command once more, to completion; the keys its log says it took over from the dead run."""
    done = supportbot("jobs", "run", job, "--now", now.isoformat(), env=env, cwd=folder, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    return set(re.findall(r"(\S+) taken over from a (?:holder|sender) that never finished it", done.stderr))


def lease_passes(env: dict[str, str]) -> None:
    """The outbox's leases are real time: the dead run's claims are made as old as a lease, as if the restart
    came that much later."""
    with sqlite3.connect(env["DATABASE_URL"].removeprefix("sqlite:///")) as db:
        for number, claimed in db.execute("SELECT id, claimed_at FROM outbox WHERE claimed_at IS NOT NULL").fetchall():
            older = datetime.fromisoformat(claimed) - outbox.LEASE - timedelta(minutes=1)
            db.execute("UPDATE outbox SET claimed_at = ? WHERE id = ?", (older.isoformat(sep=" "), number))


def assert_bounded(what: str, counts: Counter[str], everyone: list[str], taken_over: set[str],
                   key_of: dict[str, str], in_flight: int = IN_FLIGHT, *, claimed: int = IN_FLIGHT) -> None:
    """`claimed`: how many units a crash can leave claimed (a claimed fan-out claims only the unit it sends; the
    outbox claims a few rounds' worth, taken over after the lease, and those never sent go once)."""
    missing = [unit for unit in everyone if counts[unit] == 0]
    duplicated = {unit: n for unit, n in counts.items() if n > 1}
    print(f"{what}: {len(everyone) - len(missing)} of {len(everyone)} delivered; duplicated: "
          f"{duplicated or 'none'}; taken over after the crash: "
          f"{sorted(taken_over) if len(taken_over) <= 10 else len(taken_over)}")
    assert not missing, f"{what} never sent to {missing}"
    assert all(n == 2 for n in duplicated.values()), duplicated
    assert len(duplicated) <= in_flight, duplicated
    assert {key_of[unit] for unit in duplicated} <= taken_over, "a duplicate the log did not name"
    assert len(taken_over) <= claimed, taken_over


def test_every_member_gets_one_standup_prompt_after_a_kill_mid_fan_out(env: dict[str, str], tmp_path: Path,
                                                                       slack: FakeSlack) -> None:
    for member in MEMBERS:
        slack.add_user(member, tz="America/New_York")
    env = prepare(env, tmp_path, slack, standup_yaml())
    for _ in MEMBERS:
        slack.delay_next("chat.postMessage", 0.02)  # a slow Slack, so the kill lands mid-way

    crash_when(env, tmp_path, "standups", STANDUP_AT, lambda: slack.count("chat.postMessage"), KILL_AFTER)
    before = slack.count("chat.postMessage")
    slack.clear_failures()
    lease_passes(env)
    taken_over = restart(env, tmp_path, "standups", STANDUP_AT + RESTART)

    prompts = Counter(call.args["channel"] for call in slack.calls("chat.postMessage"))
    assert KILL_AFTER <= before < len(MEMBERS), before
    day = STANDUP_AT.date()
    assert_bounded("stand-up prompts", prompts, MEMBERS, taken_over,
                   {m: str(keys.standup_prompt("crew", m, day)) for m in MEMBERS}, CRASH_DUPLICATES,
                   claimed=AT_ONCE * CLAIMED_PER_SENDER)
    assert set(prompts) == set(MEMBERS)
    again = supportbot("jobs", "run", "standups", "--now", (STANDUP_AT + RESTART).isoformat(), env=env, cwd=tmp_path)
    assert again.returncode == 0 and slack.count("chat.postMessage") == sum(prompts.values())


def digests(slack: FakeSlack) -> Counter[str]:
    return Counter(call.args["channel"] for call in slack.calls("chat.postMessage")
                   if str(call.args.get("text", "")).startswith("📊") or "📊" in str(call.args.get("blocks", "")))


def test_every_team_gets_one_digest_after_a_kill_mid_fan_out(env: dict[str, str], tmp_path: Path,
                                                             slack: FakeSlack) -> None:
    env = prepare(env, tmp_path, slack, digest_yaml())
    (tmp_path / "tickets.csv").write_text(tickets_csv(), encoding="utf-8")
    imported = supportbot("tickets", "import", str(tmp_path / "tickets.csv"), env=env, cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    for _ in TEAMS:
        slack.delay_next("chat.postMessage", 0.05)

    crash_when(env, tmp_path, "digest", DIGEST_AT, lambda: sum(digests(slack).values()), 10)
    before = sum(digests(slack).values())
    slack.clear_failures()
    lease_passes(env)
    taken_over = restart(env, tmp_path, "digest", DIGEST_AT + timedelta(minutes=5))

    channels = [channel(key) for key in TEAMS]
    day = DIGEST_AT.date() - timedelta(days=1)
    assert 10 <= before < len(TEAMS), before
    keys = {channel(key): digest_key(key, day) for key in TEAMS}
    found = digests(slack)
    assert_bounded("digests", found, channels, taken_over - {k for k in taken_over if ":chart" in k}, keys,
                   in_flight=CRASH_DUPLICATES, claimed=len(TEAMS))
    charts = Counter(call.args["channel_id"] for call in slack.calls("files.completeUploadExternal")
                     if "channel_id" in call.args)
    print(f"charts shared: {sum(charts.values())}, duplicated: {[c for c, n in charts.items() if n > 1] or 'none'}")
    assert set(charts) <= set(channels)
    twice = sum(n - 1 for n in charts.values() if n > 1) + sum(n - 1 for n in found.values() if n > 1)
    assert twice <= CRASH_DUPLICATES
