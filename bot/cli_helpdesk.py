"""`supportbot helpdesk check` and `supportbot helpdesk sync [--since YYYY-MM-DD] [--source KEY]`."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import utcnow
from bot.settings import Settings
from handlers.helpdesk.sync import SyncOptions, check_source, sync_source
from storage import helpdesks
from storage.db import session_factory

Database = Callable[[Settings], AbstractAsyncContextManager[AsyncEngine]]
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
        progress = _progress if sys.stderr.isatty() else None
        options = SyncOptions(environ=os.environ, sleep=asyncio.sleep, progress=progress)
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
            report = await sync_source(db, state, clock=utcnow, options=options, since=args.since)
            if progress is not None:
                print(file=sys.stderr)
            print(report.line())
            if report.error or report.busy:
                status = max(status, 2 if report.error else 1)
            elif report.unparsed or report.unmatched:
                status = max(status, 1)
        return status


def _progress(line: str) -> None:
    print(f"\r{line}", end="", file=sys.stderr, flush=True)


