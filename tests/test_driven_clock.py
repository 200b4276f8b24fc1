"""The driven clock of rehearsals and tests: `SUPPORTBOT_CLOCK_FILE` (the bot's time is the instant written in
a file) and `SUPPORTBOT_TICK_SECONDS` (every job ticks that often). With both, each job runs once per instant
the file shows, a failed run is retried, and `supportbot_job_last_success_timestamp_seconds` says where
each job is. tests/test_replicas.py drives two real processes through a week with them."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import Supportbot, create_app
from bot.clock import FileClock
from bot.scheduler import LAST_SUCCESS, build_scheduler
from bot.settings import Settings, SettingsError, load_settings
from handlers.jobs import Job
from handlers.services import Services

T0 = datetime(2026, 11, 9, 5, 0, tzinfo=UTC)


def test_the_file_clock_moves_when_the_file_is_rewritten_and_only_then(tmp_path: Path,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "clock"
    path.write_text("2026-11-09T05:00:00Z\n", encoding="utf-8")
    clock = FileClock(path)
    assert clock() == clock() == T0
    path.write_text("2026-11-09T06:30:00+01:00", encoding="utf-8")
    assert clock() == T0 + timedelta(minutes=30)
    path.write_text("2026-11-09T", encoding="utf-8")  # half written: the clock stays
    with caplog.at_level(logging.WARNING, logger="bot.clock"):
        assert clock() == T0 + timedelta(minutes=30)
    assert "the driven clock stays at 2026-11-09T05:30:00+00:00" in caplog.text
    path.unlink()
    assert clock() == T0 + timedelta(minutes=30)


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("SUPPORTBOT_CLOCK_FILE", "/nonexistent/clock", "SUPPORTBOT_CLOCK_FILE is malformed: /nonexistent/clock: cannot"),
    ("SUPPORTBOT_CLOCK_FILE", "{tmp}/clock", "SUPPORTBOT_CLOCK_FILE is malformed: expected an ISO-8601 instant"),
    ("SUPPORTBOT_TICK_SECONDS", "0", "SUPPORTBOT_TICK_SECONDS is malformed"),
    ("SUPPORTBOT_TICK_SECONDS", "often", "SUPPORTBOT_TICK_SECONDS is malformed"),
])
def test_a_bad_rehearsal_setting_stops_start_up_naming_it(name: str, value: str, expected: str, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "clock").write_text("next tuesday", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(name, value.format(tmp=tmp_path))
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert str(raised.value).startswith(expected)


def test_unset_or_blank_the_bot_keeps_the_wall_clock_and_each_job_s_schedule(monkeypatch: pytest.MonkeyPatch,
                                                                             tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SUPPORTBOT_CLOCK_FILE", " ")
    monkeypatch.delenv("SUPPORTBOT_TICK_SECONDS", raising=False)
    settings = load_settings()
    assert (settings.supportbot_clock_file, settings.supportbot_tick_seconds) == (None, None)


async def test_the_app_reads_its_time_from_the_clock_file(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "clock"
    path.write_text(T0.isoformat(), encoding="utf-8")
    app = create_app(settings.model_copy(update={"supportbot_clock_file": path}))
    try:
        assert app.services.clock() == T0
        path.write_text((T0 + timedelta(days=1)).isoformat(), encoding="utf-8")
        assert app.services.clock() == T0 + timedelta(days=1)
    finally:
        await app.close()


class CountingClock:
    def __init__(self, now: datetime) -> None:
        self.now, self.reads = now, 0

    def __call__(self) -> datetime:
        self.reads += 1
        return self.now


def last_success(app: Supportbot, job: str) -> float | None:
    found = re.search(rf'^{LAST_SUCCESS}\{{job="{job}"\}} (\S+)$', app.services.metrics.scrape().decode(), re.M)
    return float(found.group(1)) if found else None


async def until(condition: object, what: str) -> None:
    for _ in range(500):  # bounded: at most 10 s
        if callable(condition) and condition():
            return
        await asyncio.sleep(0.02)
    pytest.fail(f"{what} did not happen within 10 s")


async def test_with_a_driven_clock_each_job_runs_once_per_instant_and_a_failure_is_retried(app: Supportbot) -> None:
    clock = CountingClock(T0)
    services: Services = dataclasses.replace(app.services, clock=clock)
    seen: list[datetime] = []

    async def flaky(_services: Services, now: datetime) -> int:
        seen.append(now)
        if len(seen) == 1:
            raise RuntimeError("database went away")
        return 0

    scheduler = build_scheduler(services, [Job("flaky", "test", flaky, {"trigger": "interval", "minutes": 1})],
                                tick_seconds=0.02, once_per_instant=True)
    trigger = scheduler.get_job("flaky").trigger
    assert trigger.interval == timedelta(seconds=0.02)  # the rehearsal's tick, not the job's minute
    scheduler.start()
    try:
        await until(lambda: clock.reads >= 12, "a dozen ticks")
        assert seen == [T0, T0]  # the failed run was retried; then ten ticks at the same instant did nothing
        assert last_success(app, "flaky") == T0.timestamp()
        clock.now = T0 + timedelta(minutes=30)
        await until(lambda: len(seen) == 3 and last_success(app, "flaky") == clock.now.timestamp(), "the next run")
        reads = clock.reads
        await until(lambda: clock.reads >= reads + 10, "ten more ticks")
        assert seen == [T0, T0, T0 + timedelta(minutes=30)]
    finally:
        scheduler.shutdown(wait=False)
