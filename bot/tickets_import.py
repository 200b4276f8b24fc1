"""`supportbot tickets import FILE [--team KEY] [--timezone ZONE] [--date-format ORDER]`: a helpdesk export
into the tickets table.

It streams: the file is read one record at a time and written `storage.tickets.batch_size` tickets at a
time, each batch committed, so memory stays flat whatever the file's size. A bad row is reported on
stderr with its line (`line 17: solved_at is before created_at`) and the rest loads; the summary goes to
stdout (`1,204 imported, 3 updated, 2 rejected`). Exit status: 0, 1 when a row was rejected, 2 when nothing
could be read (no such file, an unknown format, a team to name, an unknown timezone, dates that could be
day-first or month-first) or the file stops being UTF-8 part-way (every row before the bad byte is stored,
and the message says how many).

A file whose dates are numeric (`3/5/2024 2:22 PM`) is read first for its dates alone, to find the one
reading, day-first or month-first, that holds for all its rows (`bot.rules.ticket_dates`); ISO files are
not (a byte search over the file tells them apart)."""

from __future__ import annotations

import codecs
import io
import mmap
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any, BinaryIO, Protocol, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.rules.ticket_dates import AmbiguousDates, DateReading, decide, given
from bot.rules.ticket_formats import TicketReader, UnknownFormat
from bot.rules.ticket_rows import RowError, TicketRow
from storage import tickets
from storage.db import session_factory

PLAIN_EVERY = 100_000
"""Rows between two progress lines when stderr is not a terminal."""
CHUNK = 1 << 16
"""Bytes read from the file at a time, to check as UTF-8."""
NUMERIC_DATE = re.compile(rb"(?<![\d/.-])\d{1,2}[/.-]\d{1,2}[/.-]\d{4}(?!\d)")
"""A date such as 3/5/2024 anywhere in the file's bytes: then its dates are read first to tell their order."""


class ImportRefused(Exception):
    """Nothing can be imported from this file, said in one line (exit status 2)."""


@dataclass
class Summary:
    count: tickets.UpsertCount = field(default_factory=tickets.UpsertCount)
    rejected: int = 0

    def line(self) -> str:
        return f"{self.count.imported:,} imported, {self.count.updated:,} updated, {self.rejected:,} rejected"


class Progress(Protocol):
    def advance(self, rows: int, position: int) -> None: ...
    def say(self, line: str) -> None: ...
    def close(self) -> None: ...


class PlainProgress:
    """A line every `PLAIN_EVERY` rows, for logs and pipes."""

    def __init__(self, err: TextIO, size: int) -> None:
        self.err, self.size, self.next = err, size, PLAIN_EVERY

    def advance(self, rows: int, position: int) -> None:
        if rows >= self.next:
            share = f" ({position * 100 // self.size}%)" if self.size else ""
            print(f"importing: {rows:,} rows read{share}", file=self.err, flush=True)
            self.next = (rows // PLAIN_EVERY + 1) * PLAIN_EVERY

    def say(self, line: str) -> None:
        print(line, file=self.err)

    def close(self) -> None:
        self.err.flush()


class BarProgress:
    """rich's progress bar over the file's bytes, on a terminal; rejected rows print above it."""

    def __init__(self, err: TextIO, size: int) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

        self.bar = Progress(TextColumn("importing"), BarColumn(), DownloadColumn(), TextColumn("{task.fields[rows]}"),
                            TimeRemainingColumn(), console=Console(file=err), transient=True)
        self.task = self.bar.add_task("import", total=size or None, rows="")
        self.bar.start()

    def advance(self, rows: int, position: int) -> None:
        self.bar.update(self.task, completed=position, rows=f"{rows:,} rows")

    def say(self, line: str) -> None:
        self.bar.console.print(line, markup=False, highlight=False)

    def close(self) -> None:
        self.bar.stop()


def check_file(file: Path) -> None:
    if not file.is_file():
        raise FileNotFoundError(f"{file}: no such file")


def time_zone(name: str) -> tzinfo:
    """`--timezone`: an IANA name (`America/New_York`, `UTC`)."""
    try:
        return UTC if name.strip().upper() == "UTC" else ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: `America` is a folder, or a name too long
        raise ImportRefused(f"unknown timezone {name!r}: give an IANA name such as America/New_York or UTC"
                            ) from None


async def import_tickets(engine: AsyncEngine, file: Path, *, team: str | None, now: datetime, zone: tzinfo = UTC,
                         dates: str | None = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr,
                         terminal: bool | None = None, batch: int | None = None) -> int:
    """Import `file`, reading times written without an offset in `zone` and numeric dates in the order
    `dates` names (`day-first`, `month-first`; else the one the file's dates show); the exit status.
    `batch` is the tickets per commit (the storage's own unless given). Raises ImportRefused (and
    FileNotFoundError) for status 2."""
    reading = given(dates) if dates is not None else _reading(file)
    with open_export(file) as export:
        raw, reader, size = export.raw, export.reader, export.size
        if not reader.has_team and team is None:
            raise ImportRefused(f"{file}: a {reader.format.name} has no team column: give --team KEY")
        async with session_factory(engine)() as session:
            known = await tickets.team_ids(session)
            if team is not None and team not in known:
                listed = ", ".join(sorted(known)) or "none yet (supportbot config apply FILE adds them)"
                raise ImportRefused(f"unknown team {team!r}: the teams are {listed}")
            use_bar = err.isatty() if terminal is None else terminal
            progress: Progress = BarProgress(err, size) if use_bar else PlainProgress(err, size)
            summary = Summary()
            read = 0
            try:
                for rows in _batches(reader.rows(team=team, teams=known, zone=zone, dates=reading), summary,
                                     progress, batch or tickets.batch_size(session)):
                    summary.count.add(await tickets.upsert(session, rows, teams=known,
                                                           source=reader.format.key, now=now))
                    await session.commit()
                    read += len(rows)
                    progress.advance(read + summary.rejected, _position(raw))
            finally:
                progress.close()
    print(summary.line(), file=out)
    if summary.count.unchanged:
        print(f"({summary.count.unchanged:,} already up to date)", file=out)
    if export.checked.bad is not None:
        bad = export.checked.bad
        raise ImportRefused(
            f"{file}: not UTF-8 from byte {bad.offset:,} on (line {reader.lines_read + 1:,}: {bad.reason}); the "
            f"{read + summary.rejected:,} rows before it were read ({summary.line()}) and nothing after it: "
            f"export the CSV as UTF-8 and import it again")
    return 1 if summary.rejected else 0


def _reading(file: Path) -> DateReading | None:
    """The file's one reading of numeric dates, when it has any (`ticket_dates.decide`)."""
    check_file(file)
    with file.open("rb") as raw:
        if file.stat().st_size == 0:
            return None
        with mmap.mmap(raw.fileno(), 0, access=mmap.ACCESS_READ) as view:
            if NUMERIC_DATE.search(view) is None:
                return None
    with open_export(file) as export:
        try:
            return decide(export.reader.times())
        except AmbiguousDates as error:
            raise ImportRefused(f"{file}: {error}") from None


@dataclass(frozen=True)
class Export:
    raw: BinaryIO
    checked: Utf8Lines
    reader: TicketReader
    size: int


@contextmanager
def open_export(file: Path) -> Iterator[Export]:
    """The file open, its header read and its format known; ImportRefused when it is none of them."""
    check_file(file)
    with file.open("rb") as raw:
        checked = Utf8Lines(raw)
        with io.TextIOWrapper(io.BufferedReader(checked, CHUNK), encoding="utf-8-sig", newline="") as text:
            try:
                reader = TicketReader(text)
            except UnknownFormat as error:
                if checked.bad is not None:
                    raise ImportRefused(f"{file}: not UTF-8 text in its header row (byte {checked.bad.offset:,}: "
                                        f"{checked.bad.reason}): export the CSV as UTF-8") from None
                raise ImportRefused(f"{file}: {error}") from None
            yield Export(raw=raw, checked=checked, reader=reader, size=file.stat().st_size)


@dataclass(frozen=True)
class BadByte:
    """Where a file stops being UTF-8: its byte offset and the decoder's reason."""

    offset: int
    reason: str


class Utf8Lines(io.RawIOBase):
    """The file's bytes up to the end of the last whole line before its first byte that is not UTF-8 (then
    the end, and `bad` says where), so the text reader on top yields every row before the bad byte and no
    row cut by it. Bytes pass on only once checked, a line end at a time: memory stays one chunk and a line."""

    def __init__(self, raw: BinaryIO, chunk: int | None = None) -> None:
        super().__init__()
        self.raw, self.chunk = raw, chunk or CHUNK
        self.bad: BadByte | None = None
        self._ready = b""  # checked, and ending at a line end (or the file's end): to hand on
        self._held = b""  # checked, after the last line end
        self._unchecked = b""  # a UTF-8 sequence cut by the chunk's end
        self._read = 0  # bytes read from the file
        self._ended = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._ready and not self._ended:
            self._fill()
        size = min(len(buffer), len(self._ready))
        buffer[:size] = self._ready[:size]
        self._ready = self._ready[size:]
        return size

    def _fill(self) -> None:
        chunk = self.raw.read(self.chunk)
        start = self._read - len(self._unchecked)
        self._read += len(chunk)
        data, last = self._unchecked + chunk, not chunk
        try:
            _text, checked = codecs.utf_8_decode(data, "strict", last)
        except UnicodeDecodeError as error:
            self.bad = BadByte(start + error.start, error.reason)
            checked, self._ended = error.start, True
        good = self._held + data[:checked]
        self._unchecked = data[checked:]
        if self._ended:
            cut = max(good.rfind(b"\n"), good.rfind(b"\r")) + 1
            self._ready, self._held = good[:cut], b""
            return
        if last:
            self._ready, self._held, self._ended = good, b"", True
            return
        cut = max(good.rfind(b"\n"), good.rfind(b"\r")) + 1
        self._ready, self._held = good[:cut], good[cut:]


def _batches(rows: Iterator[TicketRow | RowError], summary: Summary, progress: Progress, size: int
             ) -> Iterator[list[TicketRow]]:
    """Tickets `size` at a time; each rejected row is said (and counted) as it is met."""
    batch: list[TicketRow] = []
    for row in rows:
        if isinstance(row, RowError):
            summary.rejected += 1
            progress.say(str(row))
            continue
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _position(raw: BinaryIO) -> int:
    try:
        return raw.tell()
    except (OSError, ValueError):
        return 0
