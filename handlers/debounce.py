"""At most one run of a unit of work per key every few seconds: the App Home is republished once however
many clicks in a row changed it. Best effort and per process: a pending run is dropped at shutdown (the
next `app_home_opened` publishes afresh)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class Debouncer:
    def __init__(self, delay: float = 3.0) -> None:
        self.delay = delay
        self._pending: dict[str, asyncio.Task[None]] = {}

    def soon(self, key: str, work: Callable[[], Awaitable[None]]) -> None:
        """Run `work` after `delay`, unless a run for `key` is already waiting (it will see this change too)."""
        if key in self._pending:
            return
        self._pending[key] = asyncio.get_running_loop().create_task(self._later(key, work))

    async def _later(self, key: str, work: Callable[[], Awaitable[None]]) -> None:
        try:
            await asyncio.sleep(self.delay)
            del self._pending[key]  # a change from now on schedules its own run
            await work()
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a refresh that failed is redone by the next change or opening
            log.warning("%s: %s", key, error)

    @property
    def waiting(self) -> int:
        return len(self._pending)

    async def close(self) -> None:
        for task in self._pending.values():
            task.cancel()
        await asyncio.gather(*self._pending.values(), return_exceptions=True)
        self._pending.clear()
