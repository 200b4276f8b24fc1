"""`supportbot tickets import FILE [--team KEY]` as an operator runs it: a real process on a real database
(SQLite, or PostgreSQL with TEST_DATABASE_URL). Bad rows are said by line and the rest loads; importing
again, or a newer export, never counts a ticket twice; a big file streams in flat memory."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.rules.team_config import parse_teams
from bot.tickets_import import import_tickets
from storage import teams
from storage.db import make_engine, session_factory
from storage.kpi_models import Ticket
from tests.conftest import TEAM_YAML
from tests.test_ticket_formats import (
    FRESHDESK_HEADER,
    GENERIC_HEADER,
    INTERCOM_HEADER,
    SALESFORCE_HEADER,
    SALESFORCE_REPORT_HEADER,
    ZENDESK_HEADER,
)

SUPPORTBOT = str(Path(sys.executable).parent / "supportbot")
OUR_VARIABLES = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL", "DATABASE_URL",
                 "SUPPORTBOT_CONFIG", "SUPPORTBOT_WEBHOOK_TOKEN", "LOG_LEVEL")
MEASURED = "import resource, sys\nfrom bot.cli import main\nstatus = main(sys.argv[1:])\n" \
           "print(f'maxrss_kb={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}', file=sys.stderr)\n" \
           "sys.exit(status)"
GOOD = [
    "T1,tier1,2026-11-02T09:00:00-05:00,2026-11-02T09:30:00-05:00,2026-11-02T12:00:00-05:00,solved,email,5,0,1,false",
    "T2,tier1,2026-11-02T23:30:00-05:00,,,open,chat,,,,",
    "T3,tier1,2026-11-01T10:00:00Z,2026-11-01T10:05:00Z,2026-11-03T10:00:00Z,closed,phone,bad,1,3,true",
]


@pytest.fixture
def env(database_url: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if k not in OUR_VARIABLES}
    asyncio.run(_apply_teams(database_url))
    return {**clean, "DATABASE_URL": database_url}


async def _apply_teams(url: str) -> None:
    engine = make_engine(url)
    try:
        async with session_factory(engine)() as session:
            await teams.apply(session, parse_teams(TEAM_YAML), now=datetime(2026, 1, 1, tzinfo=UTC))
            await session.commit()
    finally:
        await engine.dispose()


def supportbot(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SUPPORTBOT, *args], env=env, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=120, check=False)


def write(path: Path, header: str, *rows: str) -> Path:
    path.write_text("\n".join((header, *rows)) + "\n", encoding="utf-8")
    return path


def stored(url: str) -> dict[str, dict[str, Any]]:
    async def load() -> dict[str, dict[str, Any]]:
        engine = make_engine(url)
        try:
            async with session_factory(engine)() as session:
                found = (await session.scalars(select(Ticket))).all()
                return {t.external_id: {"pk": t.id, "status": t.status, "created_at": t.created_at,
                                        "solved_at": t.solved_at,
                                        "csat_good": t.csat_good, "source": t.source} for t in found}
        finally:
            await engine.dispose()

    return asyncio.run(load())


def test_bad_rows_are_said_by_line_and_the_rest_loads(env: dict[str, str], tmp_path: Path) -> None:
    export = write(tmp_path / "tickets.csv", GENERIC_HEADER, GOOD[0],
                   "T9,tier1,2026-11-02T10:00:00Z,,2026-11-02T09:00:00Z,solved,,,,,", GOOD[1],
                   "T8,tier9,2026-11-02T10:00:00Z,,,open,,,,,", GOOD[2])
    done = supportbot("tickets", "import", str(export), env=env, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines()[0] == "3 imported, 0 updated, 2 rejected"
    assert "line 3: solved_at is before created_at" in done.stderr.splitlines()
    assert "line 5: unknown team 'tier9'" in done.stderr.splitlines()
    rows = stored(env["DATABASE_URL"])
    assert sorted(rows) == ["T1", "T2", "T3"]
    assert rows["T1"]["solved_at"] == datetime(2026, 11, 2, 17, 0, tzinfo=UTC)
    assert rows["T3"]["csat_good"] is False and rows["T1"]["source"] == "generic"


def test_importing_again_counts_nothing_twice_and_a_newer_export_updates_in_place(
    env: dict[str, str], tmp_path: Path
) -> None:
    export = write(tmp_path / "tickets.csv", GENERIC_HEADER, *GOOD)
    first = supportbot("tickets", "import", str(export), env=env, cwd=tmp_path)
    assert (first.returncode, first.stdout.splitlines()[0]) == (0, "3 imported, 0 updated, 0 rejected")
    before = stored(env["DATABASE_URL"])

    again = supportbot("tickets", "import", str(export), env=env, cwd=tmp_path)
    assert again.returncode == 0
    assert again.stdout.splitlines() == ["0 imported, 0 updated, 0 rejected", "(3 already up to date)"]
    assert stored(env["DATABASE_URL"]) == before

    newer = write(tmp_path / "newer.csv", GENERIC_HEADER, GOOD[0],
                  "T2,tier1,2026-11-02T23:30:00-05:00,2026-11-03T08:00:00-05:00,2026-11-03T09:00:00-05:00,solved,chat,"
                  "4,,1,", GOOD[2], "T4,tier1,2026-11-03T10:00:00Z,,,new,,,,,")
    updated = supportbot("tickets", "import", str(newer), env=env, cwd=tmp_path)
    assert updated.stdout.splitlines()[0] == "1 imported, 1 updated, 0 rejected"
    after = stored(env["DATABASE_URL"])
    assert sorted(after) == ["T1", "T2", "T3", "T4"]
    assert after["T2"]["pk"] == before["T2"]["pk"]  # the same row, changed in place
    assert (after["T2"]["status"], after["T2"]["csat_good"]) == ("solved", True)
    assert after["T1"] == before["T1"]


def test_a_ticket_twice_in_one_file_is_one_ticket_the_later_row_winning(env: dict[str, str], tmp_path: Path) -> None:
    export = write(tmp_path / "tickets.csv", GENERIC_HEADER, GOOD[1],
                   "T2,tier1,2026-11-02T23:30:00-05:00,,2026-11-03T06:00:00Z,solved,chat,,,,")
    done = supportbot("tickets", "import", str(export), env=env, cwd=tmp_path)
    assert done.stdout.splitlines()[0] == "1 imported, 1 updated, 0 rejected"
    assert stored(env["DATABASE_URL"])["T2"]["status"] == "solved"


@pytest.mark.parametrize("source, header, row", [
    ("zendesk", ZENDESK_HEADER, "4411,Ann,Login,Solved,High,Web form,Incident,2026-11-02 14:00:00,2026-11-03 09:00:00,"
     "2026-11-02 18:00:00,Good,0,1,45"),
    ("salesforce", SALESFORCE_HEADER, "5003000000D8cuI,4411,Broken,Closed,Phone,High,2026-11-02T14:00:00.000Z,"
     "2026-11-02T18:00:00.000Z,Compliant"),
    ("intercom", INTERCOM_HEADER, "4411,2026-11-02 09:00:00,2026-11-02 09:05:00,2026-11-02 13:00:00,closed,Chat,5"),
    ("freshdesk", FRESHDESK_HEADER, "4411,Refund,Resolved,Medium,Email,Question,Ana,Billing,2026-11-02 14:00:00,,"
     "2026-11-02 18:00:00,,,2026-11-02 14:30:00,1,2,Within SLA,Within SLA,Awesome"),
])  # fmt: skip
def test_each_helpdesk_export_imports_with_its_team_named(
    env: dict[str, str], tmp_path: Path, source: str, header: str, row: str
) -> None:
    export = write(tmp_path / f"{source}.csv", header, row, row.replace("4411", "", 1))
    refused = supportbot("tickets", "import", str(export), env=env, cwd=tmp_path)
    assert refused.returncode == 2
    assert refused.stderr.strip().endswith("has no team column: give --team KEY")

    done = supportbot("tickets", "import", str(export), "--team", "tier1", env=env, cwd=tmp_path)
    assert done.stdout.splitlines()[0] == "1 imported, 0 updated, 1 rejected", done.stderr
    assert done.stderr.splitlines()[0] == "line 3: missing id"
    ticket = stored(env["DATABASE_URL"])["4411"]
    assert (ticket["source"], ticket["status"]) == (source, "closed" if source == "salesforce" else "solved")
    assert ticket["solved_at"] == datetime(2026, 11, 2, 18, 0, tzinfo=UTC)


def test_times_without_an_offset_are_read_in_the_timezone_given(env: dict[str, str], tmp_path: Path) -> None:
    export = write(tmp_path / "tickets.csv", GENERIC_HEADER,
                   "T1,tier1,2026-10-31 12:00,,2026-11-01 12:00,solved,email,,,,",  # DST ends in between
                   "T2,tier1,2026-11-02T09:00:00Z,,,open,chat,,,,")
    unknown = supportbot("tickets", "import", str(export), "--timezone", "America/Gotham", env=env, cwd=tmp_path)
    assert (unknown.returncode, unknown.stderr.strip()) == (
        2, "supportbot: unknown timezone 'America/Gotham': give an IANA name such as America/New_York or UTC")
    assert stored(env["DATABASE_URL"]) == {}

    done = supportbot("tickets", "import", str(export), "--timezone", "America/New_York", env=env, cwd=tmp_path)
    assert (done.returncode, done.stdout.splitlines()[0]) == (0, "2 imported, 0 updated, 0 rejected"), done.stderr
    rows = stored(env["DATABASE_URL"])
    assert rows["T1"]["solved_at"] == datetime(2026, 11, 1, 17, 0, tzinfo=UTC)  # 12:00 EST, not 12:00 UTC
    assert rows["T1"]["created_at"] == datetime(2026, 10, 31, 16, 0, tzinfo=UTC)  # 12:00 EDT
    assert rows["T2"]["created_at"] == datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # it said Z


def test_what_cannot_be_read_at_all_is_one_line_and_status_2(env: dict[str, str], tmp_path: Path) -> None:
    missing = supportbot("tickets", "import", "nowhere.csv", env=env, cwd=tmp_path)
    assert (missing.returncode, missing.stderr.strip()) == (2, "supportbot: nowhere.csv: no such file")

    odd = write(tmp_path / "odd.csv", "ticket,opened,state", "1,2,3")
    unknown = supportbot("tickets", "import", str(odd), env=env, cwd=tmp_path)
    assert unknown.returncode == 2
    line = unknown.stderr.strip()
    assert "\n" not in line and "not one of the recognised formats" in line
    for name in ("generic CSV", "Zendesk", "Salesforce", "Intercom", "Freshdesk"):
        assert name in line

    export = write(tmp_path / "tickets.csv", GENERIC_HEADER, *GOOD)
    no_team = supportbot("tickets", "import", str(export), "--team", "tier7", env=env, cwd=tmp_path)
    assert (no_team.returncode, no_team.stderr.strip()) == (2, "supportbot: unknown team 'tier7': the teams are tier1")
    assert stored(env["DATABASE_URL"]) == {}


def _generated(path: Path, rows: int, prefix: str) -> Path:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with path.open("w", newline="", encoding="utf-8") as file:
        out = csv.writer(file)
        out.writerow(GENERIC_HEADER.split(","))
        for i in range(rows):
            created = start + timedelta(seconds=37 * i)
            out.writerow([f"{prefix}{i}", "tier1", created.isoformat(), (created + timedelta(minutes=20)).isoformat(),
                          (created + timedelta(hours=5)).isoformat(), "solved", "email", i % 5 + 1, i % 2, 1, ""])
    return path


def _peak_kb(done: subprocess.CompletedProcess[str]) -> int:
    return int(done.stderr.strip().rsplit("maxrss_kb=", 1)[1])


def test_a_big_file_streams_in_flat_memory_with_plain_progress_lines(env: dict[str, str], tmp_path: Path) -> None:
    def measured(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", MEASURED, "tickets", "import", str(path)], env=env, cwd=tmp_path,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120, check=False)

    small = measured(_generated(tmp_path / "small.csv", 10_000, "S"))
    big = measured(_generated(tmp_path / "big.csv", 200_000, "B"))
    assert big.returncode == 0, big.stderr
    assert big.stdout.splitlines()[0] == "200,000 imported, 0 updated, 0 rejected"
    assert "importing: 100,000 rows read" in big.stderr and "importing: 200,000 rows read (100%)" in big.stderr
    # 20 times the rows, about the same peak: nothing grows with the file (200,000 tickets held would be
    # well over 100 MB)
    assert _peak_kb(big) - _peak_kb(small) < 25_000, (_peak_kb(small), _peak_kb(big))


async def test_on_a_terminal_a_progress_bar_keeps_the_rejected_rows_readable(database_url: str, tmp_path: Path) -> None:
    await _apply_teams(database_url)
    export = write(tmp_path / "tickets.csv", GENERIC_HEADER, GOOD[0], "T9,tier1,never,,,open,,,,,", GOOD[1])
    engine = make_engine(database_url)
    out, err = io.StringIO(), io.StringIO()
    try:
        status = await import_tickets(engine, export, team=None, now=datetime(2026, 11, 3, tzinfo=UTC), out=out,
                                      err=err, terminal=True)
    finally:
        await engine.dispose()
    assert status == 1
    assert out.getvalue().splitlines() == ["2 imported, 0 updated, 1 rejected"]
    assert "line 3: created_at: bad date 'never'" in err.getvalue()


# ---------------------------------------------------------------- a file that stops being UTF-8 part-way

def _rows(count: int) -> list[str]:
    return [f"U{i},tier1,2026-11-02T09:{i % 60:02}:00Z,,,open,email,,,," for i in range(count)]


async def _import(url: str, export: Path, **options: Any) -> tuple[int | str, str, str]:
    """`import_tickets` in-process (a small batch makes batch boundaries cheap to reach)."""
    from bot.tickets_import import ImportRefused

    await _apply_teams(url)
    engine = make_engine(url)
    out, err = io.StringIO(), io.StringIO()
    try:
        status: int | str = await import_tickets(engine, export, team=None, now=datetime(2026, 11, 3, tzinfo=UTC),
                                                 out=out, err=err, terminal=False, **options)
    except ImportRefused as refused:
        status = str(refused)
    finally:
        await engine.dispose()
    return status, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("before", [0, 1, 2, 3, 4, 5, 6, 7])  # batch of 3: inside, at and past each boundary
def test_every_row_before_a_bad_byte_is_stored_whatever_batch_it_falls_in(
    database_url: str, tmp_path: Path, before: int
) -> None:
    rows = _rows(7)
    good = "\n".join((GENERIC_HEADER, *rows[:before])) + "\n"
    export = tmp_path / "cut.csv"
    export.write_bytes(good.encode() + b"\xff" + "\n".join(rows[before:]).encode() + b"\n")
    status, out, _err = asyncio.run(_import(database_url, export, batch=3))
    assert isinstance(status, str), status
    assert f"not UTF-8 from byte {len(good.encode()):,} on (line {before + 2}: invalid start byte)" in status
    assert f"the {before:,} rows before it were read ({before} imported, 0 updated, 0 rejected)" in status
    assert out.splitlines()[0] == f"{before} imported, 0 updated, 0 rejected"
    assert sorted(stored(database_url), key=lambda i: int(i[1:])) == [f"U{i}" for i in range(before)]


def test_a_row_cut_by_the_bad_byte_is_not_stored_and_multibyte_text_across_reads_is(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.tickets_import.CHUNK", 7)  # every é and every line end falls across a read
    rows = [row.replace("email", "e-mailé") for row in _rows(5)]
    text = "\n".join((GENERIC_HEADER, *rows)) + "\n"
    cut = text.index("U4,") + 5  # inside the row of U4
    export = tmp_path / "cut.csv"
    export.write_bytes(text.encode()[:len(text[:cut].encode())] + b"\xc3\x28" + text[cut:].encode())
    status, _out, _err = asyncio.run(_import(database_url, export, batch=2))
    assert isinstance(status, str) and "the 4 rows before it were read" in status and "line 6:" in status, status
    assert sorted(stored(database_url)) == ["U0", "U1", "U2", "U3"]


def test_the_command_says_how_many_rows_came_before_the_bad_byte(env: dict[str, str], tmp_path: Path) -> None:
    export = tmp_path / "cut.csv"  # the 2-row file: a bad byte after the first row
    export.write_bytes((GENERIC_HEADER + "\n" + GOOD[0] + "\n").encode() + b"\x80" + GOOD[1].encode() + b"\n")
    done = supportbot("tickets", "import", str(export), env=env, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout.splitlines()[0] == "1 imported, 0 updated, 0 rejected"
    assert "the 1 rows before it were read" in done.stderr and "line 3" in done.stderr, done.stderr
    assert sorted(stored(env["DATABASE_URL"])) == ["T1"]

    header_cut = tmp_path / "header.csv"
    header_cut.write_bytes(b"id,team,created_at,first_\xffresponse_at\n" + GOOD[0].encode() + b"\n")
    refused = supportbot("tickets", "import", str(header_cut), env=env, cwd=tmp_path)
    assert refused.returncode == 2 and "not UTF-8 text in its header row (byte 25" in refused.stderr, refused.stderr


# ---------------------------------------------------------------- locale dates and solved without a time

SALESFORCE_US = [
    "00001026,Broken,Closed,Phone,3/5/2024 2:22 PM,3/5/2024 4:05 PM",
    "00001027,Slow,Closed,Web,3/15/2024 9:00 AM,3/18/2024 12:30 PM",
    "00001028,Down,New,Email,12/6/2026 2:31 PM,",
]


def test_a_salesforce_us_report_loads_month_first_told_by_its_own_dates(env: dict[str, str], tmp_path: Path) -> None:
    export = write(tmp_path / "report.csv", SALESFORCE_REPORT_HEADER, *SALESFORCE_US)
    done = supportbot("tickets", "import", str(export), "--team", "tier1", "--timezone", "America/New_York",
                      env=env, cwd=tmp_path)
    assert (done.returncode, done.stdout.splitlines()[0]) == (0, "3 imported, 0 updated, 0 rejected"), done.stderr
    rows = stored(env["DATABASE_URL"])
    assert rows["00001026"]["created_at"] == datetime(2024, 3, 5, 19, 22, tzinfo=UTC)  # 2:22 PM EST
    assert rows["00001027"]["solved_at"] == datetime(2024, 3, 18, 16, 30, tzinfo=UTC)  # 12:30 PM EDT
    assert rows["00001028"]["created_at"] == datetime(2026, 12, 6, 19, 31, tzinfo=UTC)


def test_ambiguous_dates_are_never_guessed_and_the_error_names_the_option(env: dict[str, str], tmp_path: Path) -> None:
    export = write(tmp_path / "report.csv", SALESFORCE_REPORT_HEADER,
                   "00001026,Broken,Closed,Phone,05/03/2024 14:22,05/03/2024 16:05",
                   "00001027,Slow,New,Web,06/03/2024 09:00,")
    refused = supportbot("tickets", "import", str(export), "--team", "tier1", env=env, cwd=tmp_path)
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        f"supportbot: {export}: line 2: the date '05/03/2024 14:22' could be day-first or month-first and no "
        "date in the file tells which: give --date-format day-first or --date-format month-first")
    assert stored(env["DATABASE_URL"]) == {}

    done = supportbot("tickets", "import", str(export), "--team", "tier1", "--date-format", "day-first",
                      env=env, cwd=tmp_path)
    assert (done.returncode, done.stdout.splitlines()[0]) == (0, "2 imported, 0 updated, 0 rejected"), done.stderr
    assert stored(env["DATABASE_URL"])["00001026"]["created_at"] == datetime(2024, 3, 5, 14, 22, tzinfo=UTC)


def test_every_row_of_a_file_is_read_the_same_way(env: dict[str, str], tmp_path: Path) -> None:
    export = write(tmp_path / "report.csv", SALESFORCE_REPORT_HEADER,
                   "00001026,Broken,New,Phone,05/03/2024 14:22,",
                   "00001027,Slow,New,Web,13/03/2024 09:00,",  # day-first: so is 05/03 above (5 March)
                   "00001028,Odd,New,Web,03/14/2024 09:00,")  # month-first: refused, not read another way
    done = supportbot("tickets", "import", str(export), "--team", "tier1", env=env, cwd=tmp_path)
    assert (done.returncode, done.stdout.splitlines()[0]) == (1, "2 imported, 0 updated, 1 rejected"), done.stderr
    assert done.stderr.splitlines()[0] == (
        "line 4: created_at: bad date '03/14/2024 09:00' (no such day; this file's dates are read day-first, "
        "DD/MM/YYYY, as '13/03/2024 09:00' on line 3 shows)")
    assert stored(env["DATABASE_URL"])["00001026"]["created_at"] == datetime(2024, 3, 5, 14, 22, tzinfo=UTC)


def test_a_solved_row_without_a_solved_time_is_rejected_with_its_reason(env: dict[str, str], tmp_path: Path) -> None:
    export = write(tmp_path / "tickets.csv", GENERIC_HEADER, GOOD[0], "T5,tier1,2026-11-02T10:00:00Z,,,solved,,,,,",
                   "T6,tier1,2026-11-02T10:00:00Z,,,Closed,,,,,")
    done = supportbot("tickets", "import", str(export), env=env, cwd=tmp_path)
    assert (done.returncode, done.stdout.splitlines()[0]) == (1, "1 imported, 0 updated, 2 rejected")
    assert done.stderr.splitlines() == [
        "line 3: status solved but no solved_at: a ticket solved at no known time is refused (it would count as "
        "open in the backlog for ever); export its solved time",
        "line 4: status closed but no solved_at: a ticket closed at no known time is refused (it would count as "
        "open in the backlog for ever); export its solved time"]
    assert sorted(stored(env["DATABASE_URL"])) == ["T1"]
