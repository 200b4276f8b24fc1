"""`supportbot helpdesk check` and `supportbot helpdesk sync [--since YYYY-MM-DD] [--source KEY]`."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import TextIO

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import utcnow
from bot.rules.helpdesk import SyncReport
from bot.settings import Settings
from handlers.helpdesk.sync import SyncOptions, check_source, sync_source
from storage import helpdesks
from storage.db import session_factory

Database = Callable[[Settings], AbstractAsyncContextManager[AsyncEngine]]
PLAIN_EVERY = 1_000
"""Tickets between two progress lines when stderr is not a terminal (a Zendesk page, ten of Freshdesk's)."""
NONE_CONFIGURED = ("no helpdesk is configured: add a `helpdesks:` list to the teams YAML and apply it "
                   "(supportbot config apply FILE)")


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    helpdesk = commands.add_parser("helpdesk", help="helpdesk sources: check them, sync them now")
    actions = helpdesk.add_subparsers(dest="helpdesk_command", required=True, metavar="ACTION")
    actions.add_parser("check", help="test each source's credentials and team mapping, one line per source")
    sync = actions.add_parser("sync", help="fetch each source's changed tickets now (a backfill with --since)")
    sync.add_argument("--since", type=_day, default=None, metavar="YYYY-MM-DD",
                      help="fetch every ticket changed since this day (UTC) rather than since the last sync")
    sync.add_argument("--source", default=None, metavar="KEY", help="only this source (helpdesks[].key)")


def _day(text: str) -> datetime:
    try:
        return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a day as YYYY-MM-DD, got {text!r}") from None


async def dispatch(args: argparse.Namespace, settings: Settings, database: Database) -> int:
    async with database(settings) as engine:
        db = session_factory(engine)
        async with db() as session:
            states = [state for state in await helpdesks.sources(session)
                      if getattr(args, "source", None) in (None, state.key)]
        if not states:
            known = "" if getattr(args, "source", None) is None else f" named {args.source!r}"
            print(f"supportbot: {NONE_CONFIGURED}" if not known else f"supportbot: no helpdesk{known}",
                  file=sys.stderr)
            return 2
        terminal = sys.stderr.isatty()
        options = SyncOptions(environ=os.environ, sleep=asyncio.sleep)
        if args.helpdesk_command == "check":
            good = True
            for state in states:
                ok, line = await check_source(db, state, clock=utcnow, options=options)
                good &= ok
                print(line)
            return 0 if good else 1
        status = 0
        for state in states:
            if not state.active:
                print(f"{state.key}: disabled (enabled: false), not synced")
                continue
            progress: BarProgress | PlainProgress = BarProgress(sys.stderr) if terminal else PlainProgress(sys.stderr)
            try:
                report = await sync_source(db, state, clock=utcnow, since=args.since,
                                           options=replace(options, progress=progress.update))
            finally:
                progress.close()
            print(report.line())
            if report.error or report.busy:
                status = max(status, 2 if report.error else 1)
            elif report.unparsed or report.unmatched:
                status = max(status, 1)
        return status


class PlainProgress:
    """A line on stderr each time another `PLAIN_EVERY` tickets are synced, for logs and pipes."""

    def __init__(self, err: TextIO) -> None:
        self.err, self.next = err, PLAIN_EVERY

    def update(self, report: SyncReport) -> None:
        if report.synced >= self.next:
            pages = f"{report.pages:,} page{'s' if report.pages != 1 else ''}"
            print(f"{report.source}: {report.synced:,} tickets synced so far ({pages})", file=self.err, flush=True)
            self.next = (report.synced // PLAIN_EVERY + 1) * PLAIN_EVERY

    def close(self) -> None:
        self.err.flush()


class BarProgress:
    """rich's progress display on a terminal: the source, tickets and pages synced, the time taken. A helpdesk
    does not say how many tickets a sync will bring, so the bar pulses rather than fills."""

    def __init__(self, err: TextIO) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.bar = Progress(SpinnerColumn(), TextColumn("syncing {task.fields[source]}"), BarColumn(),
                            TextColumn("{task.fields[tickets]}"), TimeElapsedColumn(), console=Console(file=err),
                            transient=True)
        self.task = self.bar.add_task("sync", total=None, source="", tickets="")
        self.bar.start()

    def update(self, report: SyncReport) -> None:
        self.bar.update(self.task, source=report.source,
                        tickets=f"{report.synced:,} tickets, {report.pages:,} page{'s' if report.pages != 1 else ''}")

    def close(self) -> None:
        self.bar.stop()


