"""The job `helpdesk-sync` (a tick every minute): each enabled helpdesk source whose `sync_every_minutes` have
passed since its last attempt is synced (`handlers.helpdesk.sync`). Every replica runs it; each source's lease
lets one of them sync it at a time."""

from __future__ import annotations

import asyncio
import os
import time
from datetime import datetime, timedelta

from handlers.helpdesk.sync import SyncOptions, summary, sync_due
from handlers.jobs import Job
from handlers.services import Services


async def run_sync(services: Services, now: datetime) -> int:
    """Tickets synced. Credentials are read from the process's environment (or the files it names). The clock
    starts at `now` and runs on with the wall clock, so a long backfill keeps extending its lease."""
    started = time.monotonic()
    reports = await sync_due(services.db, clock=lambda: now + timedelta(seconds=time.monotonic() - started),
                             options=SyncOptions(environ=os.environ, sleep=asyncio.sleep,
                                                 on_commit=services.outbox.wake))
    return summary(reports)


HELPDESK_SYNC = Job("helpdesk-sync", "pull the tickets changed in each configured helpdesk (Zendesk, Freshdesk, "
                    "Intercom) since its cursor, every sync_every_minutes", run_sync)
