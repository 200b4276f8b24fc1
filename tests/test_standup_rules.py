"""Stand-up rules as tables: who is asked when, in their own timezone, across DST changes, holidays and
away days; the summary puts blockers first; what the commands accept."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.rules import keys
from bot.rules.standups import (
    Entry,
    Member,
    Schedule,
    due_prompts,
    has_blocker,
    parse_away,
    reminder_text,
    summarise,
    summary_due,
)
from bot.rules.team_config import StandupConfig

NY, BERLIN, TOKYO = ZoneInfo("America/New_York"), ZoneInfo("Europe/Berlin"), ZoneInfo("Asia/Tokyo")
SCHEDULE = Schedule.from_config(StandupConfig(time="09:30", holidays=[date(2026, 10, 28)]))
# Europe leaves summer time on Sun 25 Oct 2026, the US on Sun 1 Nov 2026: 09:30 moves an hour in UTC.
MEMBERS = [Member("UNY", NY), Member("UBERLIN", BERLIN, away=((date(2026, 10, 29), date(2026, 10, 30)),)),
           Member("UTOKYO", TOKYO)]


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def week_of_prompts(members: list[Member], first: datetime, last: datetime) -> list[tuple[str, date, datetime]]:
    """Every (member, day, first instant the prompt is due), ticking every 15 minutes."""
    seen: dict[tuple[str, date], datetime] = {}
    at = first
    while at <= last:
        for user, day in due_prompts(SCHEDULE, members, at):
            seen.setdefault((user, day), at)
        at += timedelta(minutes=15)
    return sorted((user, day, at) for (user, day), at in seen.items())


def test_a_week_across_both_dst_changes_prompts_each_at_their_own_0930() -> None:
    found = week_of_prompts(MEMBERS, utc("2026-10-22T00:00"), utc("2026-11-03T23:45"))
    expected = [
        # New York: 13:30 UTC in summer time, 14:30 UTC from Mon 2 Nov; not on Wed 28 Oct (holiday).
        ("UNY", date(2026, 10, 22), utc("2026-10-22T13:30")),
        ("UNY", date(2026, 10, 23), utc("2026-10-23T13:30")),
        ("UNY", date(2026, 10, 26), utc("2026-10-26T13:30")),
        ("UNY", date(2026, 10, 27), utc("2026-10-27T13:30")),
        ("UNY", date(2026, 10, 29), utc("2026-10-29T13:30")),
        ("UNY", date(2026, 10, 30), utc("2026-10-30T13:30")),
        ("UNY", date(2026, 11, 2), utc("2026-11-02T14:30")),
        ("UNY", date(2026, 11, 3), utc("2026-11-03T14:30")),
        # Berlin: 07:30 UTC in summer time, 08:30 UTC from Mon 26 Oct; away Thu 29 and Fri 30 Oct.
        ("UBERLIN", date(2026, 10, 22), utc("2026-10-22T07:30")),
        ("UBERLIN", date(2026, 10, 23), utc("2026-10-23T07:30")),
        ("UBERLIN", date(2026, 10, 26), utc("2026-10-26T08:30")),
        ("UBERLIN", date(2026, 10, 27), utc("2026-10-27T08:30")),
        ("UBERLIN", date(2026, 11, 2), utc("2026-11-02T08:30")),
        ("UBERLIN", date(2026, 11, 3), utc("2026-11-03T08:30")),
        # Tokyo: no DST, 00:30 UTC the same local day.
        ("UTOKYO", date(2026, 10, 22), utc("2026-10-22T00:30")),
        ("UTOKYO", date(2026, 10, 23), utc("2026-10-23T00:30")),
        ("UTOKYO", date(2026, 10, 26), utc("2026-10-26T00:30")),
        ("UTOKYO", date(2026, 10, 27), utc("2026-10-27T00:30")),
        ("UTOKYO", date(2026, 10, 29), utc("2026-10-29T00:30")),
        ("UTOKYO", date(2026, 10, 30), utc("2026-10-30T00:30")),
        ("UTOKYO", date(2026, 11, 2), utc("2026-11-02T00:30")),
        ("UTOKYO", date(2026, 11, 3), utc("2026-11-03T00:30")),
    ]
    assert found == sorted(expected)


@pytest.mark.parametrize("now, due", [
    ("2026-11-24T14:29", []),                                 # a minute early (New York, 09:29 EST)
    ("2026-11-24T14:30", [("UNY", date(2026, 11, 24))]),
    ("2026-11-24T18:29", [("UNY", date(2026, 11, 24))]),      # late start, window still open
    ("2026-11-24T18:30", []),                                 # the 4-hour window has closed
])
def test_a_prompt_is_due_while_the_window_is_open(now: str, due: list[tuple[str, date]]) -> None:
    assert due_prompts(SCHEDULE, [Member("UNY", NY)], utc(now)) == due


def test_a_window_that_crosses_midnight_belongs_to_the_day_it_opened() -> None:
    late = Schedule.from_config(StandupConfig(time="22:00", window_hours=4))
    assert due_prompts(late, [Member("UNY", NY)], utc("2026-11-25T05:30")) == [("UNY", date(2026, 11, 24))]


@pytest.mark.parametrize("text, blocker", [
    ("Waiting on the billing API to refund ACME", True), ("none", False), ("None.", False), ("no", False),
    ("Nope", False), ("n/a", False), ("-", False), ("", False), ("nothing", False), ("No blockers", False),
    ("Nothing today", False), ("No access to Zendesk admin", True), ("all good", False),
])
def test_what_counts_as_a_blocker(text: str, blocker: bool) -> None:
    assert has_blocker(text) is blocker


def test_the_summary_lists_blockers_with_authors_and_shows_mood_from_three() -> None:
    entries = [Entry("U1", "answered", ("a", "b", "Waiting on billing"), 4),
               Entry("U2", "answered", ("a", "b", "no"), 2),
               Entry("U3", "skipped"), Entry("U4", "away"), Entry("U5", "prompted"),
               Entry("U6", "answered", ("a", "b", "VPN down"), None)]
    summary = summarise(SCHEDULE, date(2026, 11, 24), entries)
    assert [(b.user_id, b.text) for b in summary.blockers] == [("U1", "Waiting on billing"), ("U6", "VPN down")]
    assert summary.answered == ["U1", "U2", "U6"] and summary.skipped == ["U3"] and summary.away == ["U4"]
    assert summary.missed == ["U5"] and summary.progress == "3 of 5 answered"
    assert summary.mood is None  # two moods given: too few to show
    more = summarise(SCHEDULE, date(2026, 11, 24), [*entries, Entry("U7", "answered", ("a", "b", ""), 5)])
    assert more.mood == pytest.approx(3.7) and more.moods == 3


THREE = [Member("UNY", NY), Member("UBERLIN", BERLIN), Member("UTOKYO", TOKYO)]
TUESDAY = date(2026, 11, 24)  # New York 09:30 = 14:30 UTC, Berlin 08:30 UTC, Tokyo 00:30 UTC; windows of 4 h


@pytest.mark.parametrize("entries, members, now, refused, lists, progress", [
    # the bot ran only at Berlin's time: New York and Tokyo were never asked, and are counted
    ([Entry("UBERLIN", "answered", ("a", "b", ""))], THREE, "2026-11-24T19:00", {},
     {"answered": ["UBERLIN"], "not asked": [("UNY", "the bot was not running at their time"),
                                             ("UTOKYO", "the bot was not running at their time")]}, "1 of 3"),
    # while the day is open: New York's time has not come, its prompt is on its way, or Slack refused it
    ([Entry("UBERLIN", "answered", ("a", "b", "")), Entry("UTOKYO", "prompted")], THREE, "2026-11-24T09:00", {},
     {"answered": ["UBERLIN"], "missed": ["UTOKYO"], "not asked": [("UNY", "their stand-up has not opened yet")]},
     "1 of 3"),
    ([Entry("UBERLIN", "skipped")], THREE[:2], "2026-11-24T15:00", {},
     {"skipped": ["UBERLIN"], "not asked": [("UNY", "their prompt is on its way")]}, "0 of 2"),
    ([Entry("UBERLIN", "skipped")], THREE[:2], "2026-11-24T19:00", {"UNY": "user_not_found"},
     {"skipped": ["UBERLIN"], "not asked": [("UNY", "Slack refused their prompt (user_not_found)")]}, "0 of 2"),
    # days off they gave count as away, asked or not
    ([Entry("UBERLIN", "away"), Entry("UTOKYO", "answered", ("a", "b", ""))],
     [*THREE[1:], Member("UNY", NY, away=((TUESDAY, TUESDAY),))], "2026-11-24T19:00", {},
     {"answered": ["UTOKYO"], "away": ["UBERLIN", "UNY"]}, "1 of 1"),
    # someone who left the team since is listed by their row; without members, by the rows alone
    ([Entry("UGONE", "prompted"), Entry("UNY", "answered", ("a", "b", ""))], THREE[:1], "2026-11-24T19:00", {},
     {"answered": ["UNY"], "missed": ["UGONE"]}, "1 of 2"),
])
def test_every_member_is_in_exactly_one_list_and_counted_when_expected(
        entries: list[Entry], members: list[Member], now: str, refused: dict[str, str],
        lists: dict[str, list[object]], progress: str) -> None:
    summary = summarise(SCHEDULE, TUESDAY, entries, members, utc(now), refused)
    got = {"answered": summary.answered, "skipped": summary.skipped, "away": summary.away, "missed": summary.missed,
           "not asked": [(why.user_id, why.why) for why in summary.not_asked]}
    assert {name: found for name, found in got.items() if found} == lists
    listed = [*summary.answered, *summary.skipped, *summary.away, *summary.missed,
              *(why.user_id for why in summary.not_asked)]
    assert sorted(listed) == sorted({m.user_id for m in members} | {e.user_id for e in entries})  # each once
    assert summary.progress == f"{progress} answered"


def test_on_a_team_holiday_whoever_has_no_row_had_a_day_off_and_is_not_expected() -> None:
    holiday = Schedule.from_config(StandupConfig(time="09:30", holidays=[TUESDAY]))
    summary = summarise(holiday, TUESDAY, [Entry("UTOKYO", "answered", ("a", "b", ""))], THREE, utc("2026-11-24T19:00"))
    assert [(why.user_id, why.why) for why in summary.not_asked] == [("UNY", "day off"), ("UBERLIN", "day off")]
    assert summary.progress == "1 of 1 answered"


@pytest.mark.parametrize("answered, teammates, text", [
    (4, 6, "4 of your 6 teammates have answered."), (1, 6, "1 of your 6 teammates has answered."),
    (0, 1, "0 of your 1 teammate have answered."), (0, 0, "Your stand-up is still open."),
])
def test_the_reminder_counts_teammates_without_names(answered: int, teammates: int, text: str) -> None:
    assert reminder_text(answered, teammates) == text


TODAY = date(2026, 12, 2)


@pytest.mark.parametrize("words, expected", [
    (["2026-12-24", "2027-01-02"], (date(2026, 12, 24), date(2027, 1, 2))),
    (["2026-12-24"], (date(2026, 12, 24), date(2026, 12, 24))),
    (["2027-01-02", "2026-12-24"], "the last day away comes before the first"),
    (["tomorrow"], "`tomorrow` is not a date like 2026-12-24"),
    (["2026-02-30"], "`2026-02-30` is not a date like 2026-12-24"),
    (["2026-11-01"], "those days are already over"),
    ([], "give the first day away"),
    (["2026-12-24", "2027-01-02", "x"], "give the first day away"),
    (["2026-12-24", "2028-01-02"], "more than a year"),
])
def test_away_takes_one_or_two_dates(words: list[str], expected: object) -> None:
    found = parse_away(words, TODAY)
    if isinstance(expected, str):
        assert isinstance(found, str) and expected in found
    else:
        assert found == expected


def test_the_summary_waits_for_the_last_timezone() -> None:
    day = date(2026, 11, 24)
    zones = [TOKYO, BERLIN, NY]
    assert not summary_due(SCHEDULE, zones, day, utc("2026-11-24T18:29"))  # New York's window still open
    assert summary_due(SCHEDULE, zones, day, utc("2026-11-24T18:30"))


def test_a_late_prompt_is_not_followed_by_its_reminder_at_once() -> None:
    member, day = Member("UNY", NY), date(2026, 11, 24)
    assert SCHEDULE_REMINDS(member, day, "2026-11-24T15:30", None)
    assert not SCHEDULE_REMINDS(member, day, "2026-11-24T18:00", utc("2026-11-24T17:50"))  # prompted late
    assert not SCHEDULE_REMINDS(member, day, "2026-11-24T18:30", utc("2026-11-24T17:20"))  # window closed
    assert SCHEDULE_REMINDS(member, day, "2026-11-24T18:20", utc("2026-11-24T17:20"))


def SCHEDULE_REMINDS(member: Member, day: date, now: str, prompted_at: datetime | None) -> bool:
    from bot.rules.standups import reminder_due

    return reminder_due(SCHEDULE, member, day, utc(now), prompted_at=prompted_at)


DAY = date(2026, 11, 24)


@pytest.mark.parametrize(("typed", "stored"), [
    (keys.standup_prompt("tier1", "U0A", DAY), "standup:tier1:2026-11-24:prompt:U0A"),
    (keys.standup_reminder("tier1", "U0A", DAY), "standup:tier1:2026-11-24:reminder:U0A"),
    (keys.standup_parent("tier1", DAY), "standup:tier1:2026-11-24:parent"),
    (keys.standup_reply("tier1", DAY, "U0A"), "standup:tier1:2026-11-24:reply:U0A"),
    (keys.standup_summary("tier1", DAY), "standup:tier1:2026-11-24:summary"),
    (keys.standup_prompt_update("tier1", "U0A", DAY, "answered"), "standup:tier1:2026-11-24:prompt:U0A:answered"),
    (keys.standup_parent_update("tier1", DAY, 3), "standup:tier1:2026-11-24:parent:update:3"),
    (keys.standup_reply_update("tier1", DAY, "U0A", 2), "standup:tier1:2026-11-24:reply:U0A:2"),
])
def test_a_standup_key_is_stored_as_the_claim_it_replaces_and_read_back(typed: keys.DatedKey, stored: str) -> None:
    """The outbox's keys are the claims' strings: what was sent before the upgrade is not sent again."""
    assert str(typed) == stored
    assert keys.parse(stored) == typed
    assert typed.remembered.last_day == DAY + keys.STANDUP_LOOK_BACK
