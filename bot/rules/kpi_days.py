"""A team's local days for KPIs: where a day starts and ends in UTC (DST-correct), which day a digest is
due for, and the stored form of the KPI feature's keys (`bot.rules.keys`).

Pure: time and the team's timezone are arguments.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.rules import keys

TREND_DAYS = 14
WEEK = 7
MONDAY = 0


def day_bounds(day: date, timezone: str) -> tuple[datetime, datetime]:
    """[start, end) of a local day, in UTC: 23 or 25 hours long on the days clocks change."""
    tz = ZoneInfo(timezone)
    start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return start, end


def span_bounds(first: date, last: date, timezone: str) -> tuple[datetime, datetime]:
    """[start of `first`, end of `last`) in UTC."""
    return day_bounds(first, timezone)[0], day_bounds(last, timezone)[1]


def local_date(now: datetime, timezone: str) -> date:
    return now.astimezone(ZoneInfo(timezone)).date()


def digest_day(now: datetime, timezone: str, at: str) -> date | None:
    """The day whose digest is due at `now`: the previous local day, from the team's digest time
    (`HH:MM`) until local midnight, so a digest missed while the bot was down is sent late that day.
    None before the digest time. On a spring-forward morning a time in the gap is reached at the jump."""
    local = now.astimezone(ZoneInfo(timezone))
    if local.time().replace(tzinfo=None) < time.fromisoformat(at):
        return None
    return local.date() - timedelta(days=1)


def last_week(day: date) -> tuple[date, date] | None:
    """Monday's digest (for Sunday `day`) adds the week that ended with it: Monday to Sunday."""
    if (day + timedelta(days=1)).weekday() != MONDAY:
        return None
    return day - timedelta(days=WEEK - 1), day


def days_before(day: date, count: int) -> list[date]:
    """The `count` days before `day`, most recent first."""
    return [day - timedelta(days=n) for n in range(1, count + 1)]


# --------------------------------------------------------------------------- keys (stable: never change)

def digest_key(team_key: str, day: date) -> str:
    """The stored key of the team's digest of `day` (`bot.rules.keys.kpi_digest`)."""
    return str(keys.kpi_digest(team_key, day))


def chart_key(team_key: str, day: date) -> str:
    return str(keys.kpi_chart(team_key, day))


def alert_key(team_key: str, metric: str, day: date, kind: str) -> str:
    """One alert (`red` or `recovered`) about one metric, judged on one day."""
    return str(keys.kpi_alert(team_key, metric, day, kind))


def baseline_summary_key(team_key: str, metric: str, pinned_on: date) -> str:
    return str(keys.kpi_baseline_summary(team_key, metric, pinned_on))
