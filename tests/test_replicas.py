"""Two replicas through a simulated week: two real `supportbot run --http` processes on one PostgreSQL
database, both running the scheduler, their clock driven through a file (`SUPPORTBOT_CLOCK_FILE`) from
Monday 9 November 2026 05:00 UTC for seven days: 30-minute steps by day, hourly at the weekend, one step over
each night (`steps`). At each step the test waits until every job of both processes has run at that instant
(`supportbot_job_last_success_timestamp_seconds` on each one's `GET /metrics`), then moves on; the two race
for every unit at every step. At the end, the fake Slack's record must hold every stand-up prompt, reminder
and summary, every digest (Monday's with last week), every pulse DM and report, every weekly review and
every SLA reminder exactly once, each sent at the step it was due: the table is computed here from the
teams' configuration, not by the app's rules."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from bot.scheduler import LAST_SUCCESS
from handlers import all_jobs
from handlers.escalations import ids
from tests.conftest import SIGNING_SECRET, TEST_DATABASE_URL
from tests.escalation_steps import card_post, escalate, press
from tests.kit.databases import scratch_postgres
from tests.kit.driver import SlackDriver
from tests.kit.fake_slack import Call, FakeSlack
from tests.test_cli import free_port, output_of, serving, supportbot, wait_healthy

pytestmark = pytest.mark.skipif(not TEST_DATABASE_URL, reason="two replicas share one PostgreSQL database: "
                                "set TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres to run it")

START = datetime(2026, 11, 9, 5, 0, tzinfo=UTC)  # Monday: 00:00 in New York, 06:00 in Berlin
END = START + timedelta(days=7)
STEP, WEEKEND_STEP = timedelta(minutes=30), timedelta(hours=1)
STEP_SECONDS = 20.0
"""The bound on one step (both replicas running every job once): far above the 0.3 to 0.6 s it takes."""
NY, BERLIN, LONDON = "America/New_York", "Europe/Berlin", "Europe/London"
HEAD = "U0HEAD"
TEAMS: dict[str, dict[str, Any]] = {
    "tier1": {"name": "Tier 1 Support", "tz": NY, "members": {"U0NY1": NY, "U0NY2": NY, "U0BER1": BERLIN},
              "managers": ["U0MGR1", HEAD], "standup": "C0STD1", "digest": "C0DIG1", "escalations": "C0ESC1",
              "path": ("Engineering", "C0ENG1"), "standup_at": "09:30", "days": [0, 1, 2, 3, 4], "holidays": [],
              "pulse": (4, "14:00", 48), "digest_at": "09:00", "reporter": "U0NY1", "acknowledged_after": None},
    "emea": {"name": "EMEA Support", "tz": BERLIN, "members": {"U0EU1": BERLIN, "U0EU2": LONDON},
             "managers": ["U0MGR2", HEAD], "standup": "C0STD2", "digest": "C0DIG2", "escalations": "C0ESC2",
             "path": ("Platform", "C0PLT2"), "standup_at": "10:00", "days": [0, 1, 2, 3],
             "holidays": [date(2026, 11, 11)], "pulse": (3, "11:00", 24), "digest_at": "08:00", "reporter": "U0EU1",
             "acknowledged_after": timedelta(minutes=60)},
}
SLA = {"ack": 150, "update": 300, "resolve": 600}
"""Minutes of the teams' P1 policy (24/7): 80 %, the breach and the three repeats each fall on a step."""
LABELS = {"acknowledgement": "ack", "customer update": "update", "resolution": "resolve"}
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
CSV_HEADER = "id,team,created_at,first_response_at,solved_at,status,channel,csat,reopens,agent_replies,sla_breached"


def steps() -> list[datetime]:
    """Every 30 minutes from 06:00 to 23:00 UTC on weekdays, hourly at the weekend, and one step over each
    night: nothing is due at night, and nothing at the weekend off the hour (`expected_week` asserts it), and
    this keeps the week well under 3 minutes on two busy cores."""
    out, now = [], START
    while now < END:
        if now.hour >= 23 or now.hour < 6:
            morning = datetime.combine(now.date() + timedelta(days=now.hour >= 23), datetime.min.time(), UTC)
            now = min(morning + timedelta(hours=6), END)
        else:
            now += STEP if now.weekday() < 5 else WEEKEND_STEP
        out.append(now)
    return out


def teams_yaml() -> str:
    policy = (f"{{priorities: {{P1: {{ack_minutes: {SLA['ack']}, update_minutes: {SLA['update']}, "
              f"resolve_minutes: {SLA['resolve']}, business_hours: false}}}}}}")
    out = "teams:\n"
    for key, t in TEAMS.items():
        day, at, hours = t["pulse"]
        holidays = ", ".join(d.isoformat() for d in t["holidays"])
        out += (f"  - key: {key}\n    name: {t['name']}\n    timezone: {t['tz']}\n"
                f"    members: [{', '.join(t['members'])}]\n    managers: [{', '.join(t['managers'])}]\n"
                f"    channels: {{escalations: {t['escalations']}, digest: {t['digest']}, standup: {t['standup']}}}\n"
                f"    escalation_paths: [{{key: {t['path'][0].lower()}, name: {t['path'][0]}, "
                f"channel: {t['path'][1]}}}]\n"
                f"    escalation_policy: {policy}\n"
                f"    standup: {{time: \"{t['standup_at']}\", days: [{', '.join(DAYS[d] for d in t['days'])}], "
                f"reminder_minutes: 60, window_hours: 4, holidays: [{holidays}]}}\n"
                f"    pulse: {{day: {DAYS[day]}, time: \"{at}\", close_after_hours: {hours}, min_responses: 3}}\n"
                f"    digest: {{time: \"{t['digest_at']}\"}}\n")
    return out


def tickets_csv() -> str:
    """Two good tickets a day per team for three weeks, so every digest has figures and a chart."""
    rows = []
    for key in TEAMS:
        for n in range(21):
            day = date(2026, 10, 25) + timedelta(days=n)
            for i in range(2):
                rows.append(f"{key}-{day}-{i},{key},{day}T12:0{i}:00Z,{day}T12:2{i}:00Z,{day}T15:00:00Z,solved,"
                            "email,good,0,1,false")
    return "\n".join([CSV_HEADER, *rows]) + "\n"


def at(day: date, hhmm: str, zone: str) -> datetime:
    hour, minute = (int(part) for part in hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def label(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def expected_week() -> dict[tuple[str, str, str], datetime]:
    """Every unit the week must produce, and the step it is due at, from the configuration above."""
    want: dict[tuple[str, str, str], datetime] = {}
    week = [START.date() + timedelta(days=n) for n in range(7)]
    for t in TEAMS.values():
        standup_days = [d for d in week if d.weekday() in t["days"] and d not in t["holidays"]]
        for day in standup_days:
            for member, zone in t["members"].items():
                want["standup-prompt", member, label(day)] = at(day, t["standup_at"], zone)
                want["standup-reminder", member, label(day)] = at(day, t["standup_at"], zone) + timedelta(hours=1)
            last_close = max(at(day, t["standup_at"], zone) for zone in t["members"].values()) + timedelta(hours=4)
            want["standup-summary", t["standup"], label(day)] = last_close
        for day in week:  # the digest of the day before, at the digest time
            if (due := at(day, t["digest_at"], t["tz"])) < END:
                previous = day - timedelta(days=1)
                want["digest", t["digest"], f"{previous:%A} {previous.day} {previous:%B}"] = due
                want["chart", t["digest"], label(previous)] = due
        pulse_day, pulse_at, hours = t["pulse"]
        friday_of = week[pulse_day]
        asks = {member: at(friday_of, pulse_at, zone) for member, zone in t["members"].items()}
        opens, closes = min(asks.values()), min(asks.values()) + timedelta(hours=hours)
        for member, asked in asks.items():
            want["pulse-ask", member, t["name"]] = asked
            want["pulse-reminder", member, t["name"]] = opens + (closes - opens) / 2
        for manager in t["managers"]:
            want["pulse-report", manager, t["name"]] = closes
        want["review", t["escalations"], t["name"]] = at(week[0], "09:00", t["tz"])
        for clock, minutes in SLA.items():
            if clock == "ack" and t["acknowledged_after"] is not None:
                continue  # acknowledged before its 80 %: the clock stopped
            breach = START + timedelta(minutes=minutes)
            want["sla", t["name"], f"{clock}:warning"] = START + timedelta(minutes=minutes * 0.8)
            want["sla", t["name"], f"{clock}:breach"] = breach
            for n in (1, 2, 3):
                want["sla", t["name"], f"{clock}:repeat-{n}"] = breach + timedelta(minutes=30 * n)
    closes = [v for (kind, who, _), v in want.items() if kind == "pulse-report" and who == HEAD]
    want["pulse-report", HEAD, "all teams"] = max(closes)  # the roll-up, once both rounds closed
    assert set(want.values()) <= set(steps()), "the world must fall on the steps of the week"
    return want


def kind_of(call: Call, team_of_channel: dict[str, str]) -> tuple[str, str, str] | None:
    """What the test counts a chat.postMessage (or an upload) as; None for what it does not count."""
    args, text = call.args, str(call.args.get("text") or "")
    if call.method == "files.completeUploadExternal":
        match = re.search(r"days to (\w{3} \d+ \w{3})", str(args.get("files")))
        return "chart", str(args.get("channel_id")), match.group(1) if match else "?"
    channel, thread = str(args.get("channel")), args.get("thread_ts")
    if thread and text[:1] in ("⏳", "🚨"):
        clock = LABELS[next(name for name in LABELS if name in text)]
        repeat = re.search(r"\(reminder (\d)\)", text)
        stage = "warning" if text.startswith("⏳") else f"repeat-{repeat.group(1)}" if repeat else "breach"
        return "sla", team_of_channel[channel], f"{clock}:{stage}"
    if thread:
        return None
    day = re.search(r"stand-up for (\w{3} \d+ \w{3})", text)
    team = next((t["name"] for t in TEAMS.values() if t["name"] in text), "?")
    for prefix, kind in (("Time for your *", "standup-prompt"), ("Reminder: your ", "standup-reminder")):
        if text.startswith(prefix) and day:
            return kind, channel, day.group(1)
    if text.startswith("Time for the weekly "):
        return "pulse-ask", channel, team
    if text.startswith("Reminder: the ") and " pulse " in text:
        return "pulse-reminder", channel, team
    if text.startswith("Pulse results · "):
        return "pulse-report", channel, "all teams" if "All your teams" in text else team
    if (summary := re.search(r"Stand-up · (\w{3} \d+ \w{3})", text)) and channel in team_of_channel:
        return "standup-summary", channel, summary.group(1)
    if text.startswith("Weekly escalation review for "):
        return "review", channel, team
    blocks = call.blocks or []
    title = str(blocks[0].get("text", {}).get("text", "")) if blocks and blocks[0].get("type") == "header" else ""
    if title.startswith("📊 "):
        return "digest", channel, title.split(" · ", 1)[1]
    return None


class ProcessDriver(SlackDriver):
    """The signing driver, sending to a running process over HTTP instead of an in-process app."""

    def __init__(self, url: str, slack: FakeSlack) -> None:  # no app object: a real process
        self.secret = SIGNING_SECRET
        self.response_url = slack.response_url
        self.settle = False  # the process's own dispatcher sends; the steps poll the fake Slack for it
        self._http = httpx.AsyncClient(base_url=url, timeout=10)


def first_error(logs: str) -> str:
    lines = logs.splitlines()
    start = next((n for n, line in enumerate(lines) if " ERROR " in line or "Traceback" in line), 0)
    return "\n".join(lines[max(0, start - 5):start + 80])


def through(url: str, slack: FakeSlack, action: Callable[[SlackDriver, dict[str, Any]], Awaitable[None]],
            team: dict[str, Any]) -> None:
    """Run `action` with a driver signing requests to the replica at `url`."""
    async def run() -> None:
        driver = ProcessDriver(url, slack)
        try:
            await action(driver, team)
        finally:
            await driver.close()

    asyncio.run(run())


def last_success(url: str, client: httpx.Client) -> dict[str, float]:
    """Each job's `supportbot_job_last_success_timestamp_seconds` on one replica."""
    found = re.findall(r'^supportbot_job_last_success_timestamp_seconds\{job="([^"]+)"\} (\S+)$',
                       client.get(f"{url}/metrics", params={"name[]": LAST_SUCCESS}).text, re.MULTILINE)
    return {job: float(value) for job, value in found}


def metric_sum(url: str, client: httpx.Client, name: str, label: str) -> float:
    text = client.get(f"{url}/metrics").text
    return sum(float(v) for v in re.findall(rf'^{name}_total\{{[^}}]*{label}[^}}]*\}} (\S+)$', text, re.MULTILINE))


class Week:
    """The driven clock and both replicas' progress through it."""

    def __init__(self, clock_file: Path, urls: list[str], slack: FakeSlack) -> None:
        self.clock_file, self.urls, self.slack = clock_file, urls, slack
        self.http = httpx.Client(timeout=5)
        self.jobs = {job.name for job in all_jobs()}
        self.seconds: list[float] = []
        self.marks: list[tuple[int, datetime]] = []
        """(calls recorded at the fake Slack so far, the instant they were made at), after each step."""

    def move(self, to: datetime) -> None:
        """Set the clock to `to`, and return once every job of every replica has run at `to` (bounded)."""
        partial = self.clock_file.with_suffix(".next")
        partial.write_text(to.isoformat(), encoding="utf-8")
        os.replace(partial, self.clock_file)
        begun = time.monotonic()
        deadline = begun + STEP_SECONDS
        for url in self.urls:
            while True:
                seen = last_success(url, self.http)
                if all(seen.get(job) == to.timestamp() for job in self.jobs):
                    break
                assert time.monotonic() < deadline, f"{url} did not run every job at {to} in {STEP_SECONDS} s: {seen}"
                time.sleep(0.01)
        self.seconds.append(time.monotonic() - begun)
        self.mark(to)

    def mark(self, now: datetime) -> None:
        self.marks.append((len(self.slack.calls()), now))

    def instant_of(self, index: int) -> datetime:
        return next(now for count, now in self.marks if index < count)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    assert TEST_DATABASE_URL
    with scratch_postgres(TEST_DATABASE_URL, "supportbot_replicas") as url:
        yield url


def test_two_replicas_send_everything_of_a_week_exactly_once_and_on_time(tmp_path: Path, slack: FakeSlack,
                                                                         postgres_url: str) -> None:
    started = time.monotonic()
    clock_file = tmp_path / "clock"
    clock_file.write_text(START.isoformat(), encoding="utf-8")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SUPPORTBOT_", "DATABASE_URL"))}
    env = {**clean, "SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_SIGNING_SECRET": SIGNING_SECRET,
           "SLACK_API_URL": slack.api_url, "DATABASE_URL": postgres_url, "LOG_LEVEL": "WARNING",
           "SUPPORTBOT_CLOCK_FILE": str(clock_file), "SUPPORTBOT_TICK_SECONDS": "0.05"}
    (tmp_path / "teams.yml").write_text(teams_yaml(), encoding="utf-8")
    (tmp_path / "tickets.csv").write_text(tickets_csv(), encoding="utf-8")
    for args in (("config", "apply", "teams.yml"), ("tickets", "import", "tickets.csv")):
        done = supportbot(*args, env=env, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    for t in TEAMS.values():
        for member, zone in t["members"].items():
            slack.add_user(member, tz=zone)
        for manager in t["managers"]:
            slack.add_user(manager, tz=t["tz"])
    team_of_channel = {t[c]: t["name"] for t in TEAMS.values() for c in ("standup", "digest", "escalations")}
    team_of_channel |= {t["path"][1]: t["name"] for t in TEAMS.values()}

    with ExitStack() as stack:
        replicas: list[tuple[subprocess.Popen[bytes], str, Path]] = []
        for name in ("a", "b"):
            folder, port = tmp_path / name, free_port()
            folder.mkdir()
            process = stack.enter_context(serving("run", "--http", "--host", "127.0.0.1", "--port", str(port),
                                                  env=env, cwd=folder))
            replicas.append((process, f"http://127.0.0.1:{port}", folder))
        for process, url, folder in replicas:
            wait_healthy(process, url, folder)
        week = Week(clock_file, [url for _, url, _ in replicas], slack)
        week.move(START)
        urls = [url for _, url, _ in replicas]

        async def open_escalation(driver: SlackDriver, t: dict[str, Any]) -> None:
            reply, _ = await escalate(driver, slack, t["reporter"], path=t["path"][0])
            assert reply.status == 200, reply.body
            slack.wait_for("chat.postMessage", 1, timeout=10, channel=t["path"][1])  # sent after the answer
            card_post(slack, t["path"][1])

        async def acknowledge(driver: SlackDriver, t: dict[str, Any]) -> None:
            reply = await press(driver, slack, ids.ACKNOWLEDGE, user=list(t["members"])[-1], channel=t["path"][1])
            assert reply.status == 200, reply.body

        for url, t in zip(urls, TEAMS.values(), strict=True):  # each team's through another replica
            through(url, slack, open_escalation, t)
        week.mark(START)
        for now in steps():
            week.move(now)
            for t in TEAMS.values():
                if t["acknowledged_after"] is not None and now == START + t["acknowledged_after"]:
                    through(urls[1], slack, acknowledge, t)
                    week.mark(now)
        failed = [metric_sum(url, week.http, "supportbot_job_runs", 'outcome="failed"')
                  + metric_sum(url, week.http, "supportbot_deliveries", 'outcome="failed"') for url in urls]
        sent_by = [metric_sum(url, week.http, "supportbot_deliveries", 'outcome="sent"') for url in urls]
        assert all(sent_by), f"one replica sent nothing: {sent_by}"  # both raced for the week's work
        for process, _, folder in replicas:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=25) == 0, output_of(folder)
        logs = "\n".join(output_of(folder) for _, _, folder in replicas)
        assert "Traceback" not in logs and " ERROR " not in logs, first_error(logs)
        assert failed == [0, 0], first_error(logs)

    calls = slack.calls()
    assert not [c.summary() for c in calls if not c.ok], "Slack refused a call"
    counted: list[tuple[tuple[str, str, str], datetime]] = []
    for index, call in enumerate(calls):
        if call.method in ("chat.postMessage", "files.completeUploadExternal"):
            kind = kind_of(call, team_of_channel)
            if kind is not None:
                counted.append((kind, week.instant_of(index)))
    times = Counter(kind for kind, _ in counted)
    took = sorted(week.seconds)
    print(f"{len(took)} steps in {time.monotonic() - started:.0f} s (a step: median {took[len(took) // 2]:.2f} s, "
          f"max {took[-1]:.2f} s); deliveries sent per replica: {sent_by}; "
          f"counted {len(counted)} units: {dict(Counter(kind[0] for kind in times))}")
    want = expected_week()
    assert {k: n for k, n in times.items() if n > 1} == {}, "sent more than once"
    assert sorted(set(want) - set(times)) == [], "never sent"
    assert sorted(set(times) - set(want)) == [], "sent but not due this week"
    late = {kind: (str(when), str(want[kind])) for kind, when in counted if when != want[kind]}
    assert late == {}, "sent at another step than the one it was due at (sent, due)"
    mondays = [c for c in calls if c.method == "chat.postMessage"
               and (kind_of(c, team_of_channel) or ("",))[0] == "digest" and "*Last week*" in str(c.blocks)]
    assert sorted(str(c.args["channel"]) for c in mondays) == sorted(t["digest"] for t in TEAMS.values())
    posts = Counter((c.args.get("channel"), c.args.get("thread_ts"), c.args.get("text"), str(c.args.get("blocks")))
                    for c in calls if c.method == "chat.postMessage")
    assert [key[2] for key, n in posts.items() if n > 1] == [], "the same message twice (an alert, a card…)"
