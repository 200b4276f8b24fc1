"""`supportbot tickets import FILE [--team KEY] [--timezone ZONE]`: a helpdesk export into the tickets table.

It streams: the file is read one record at a time and written `storage.tickets.batch_size` tickets at a
time, each batch committed, so memory stays flat whatever the file's size. A bad row is reported on
stderr with its line (`line 17: solved_at is before created_at`) and the rest loads; the summary goes to
stdout (`1,204 imported, 3 updated, 2 rejected`). Exit status: 0, 1 when a row was rejected, 2 when nothing
could be read (no such file, an unknown format, a team to name, an unknown timezone)."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import BinaryIO, Protocol, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.rules.ticket_formats import TicketReader, UnknownFormat
from bot.rules.ticket_rows import RowError, TicketRow
from storage import tickets
from storage.db import session_factory

PLAIN_EVERY = 100_000
"""Rows between two progress lines when stderr is not a terminal."""


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
                         out: TextIO = sys.stdout, err: TextIO = sys.stderr, terminal: bool | None = None) -> int:
    """Import `file`, reading times written without an offset in `zone`; the exit status. Raises
    ImportRefused (and FileNotFoundError) for status 2."""
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
                for batch in _batches(reader.rows(team=team, teams=known, zone=zone), summary, progress,
                                      tickets.batch_size(session)):
                    summary.count.add(await tickets.upsert(session, batch, teams=known,
                                                           source=reader.format.key, now=now))
                    await session.commit()
                    read += len(batch)
                    progress.advance(read + summary.rejected, _position(raw))
            except UnicodeDecodeError as error:
                raise ImportRefused(f"{file}: not UTF-8 text ({error.reason} near byte {_position(raw):,}); "
                                    f"the rows before it were imported") from None
            finally:
                progress.close()
    print(summary.line(), file=out)
    if summary.count.unchanged:
        print(f"({summary.count.unchanged:,} already up to date)", file=out)
    return 1 if summary.rejected else 0


@dataclass(frozen=True)
class Export:
    raw: BinaryIO
    reader: TicketReader
    size: int


@contextmanager
def open_export(file: Path) -> Iterator[Export]:
    """The file open, its header read and its format known; ImportRefused when it is none of them."""
    check_file(file)
    with file.open("rb") as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as text:
        try:
            reader = TicketReader(text)
        except UnknownFormat as error:
            raise ImportRefused(f"{file}: {error}") from None
        except UnicodeDecodeError:
            raise ImportRefused(f"{file}: not UTF-8 text (export the CSV as UTF-8)") from None
        yield Export(raw=raw, reader=reader, size=file.stat().st_size)


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
